import Foundation

/// Parses and prints durations as pipeline files write them: `500ms`, `30s`, `5m`, `1h30m`, `0`.
public enum DurationFormat {
    /// Parses a duration; nil when the text is not one.
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "0" { return .zero }
        guard !s.isEmpty else { return nil }
        var total: Duration = .zero
        var index = s.startIndex
        while index < s.endIndex {
            let numberStart = index
            while index < s.endIndex, s[index].isASCII, s[index].isNumber || s[index] == "." {
                index = s.index(after: index)
            }
            guard numberStart < index, let value = Double(s[numberStart..<index]) else { return nil }
            let unitStart = index
            while index < s.endIndex, s[index].isLetter { index = s.index(after: index) }
            let unit = s[unitStart..<index]
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        return total
    }

    /// Prints a duration compactly: `850ms`, `12.3s`, `2m05s`.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 {
            let tenths = (ms + 50) / 100
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = ms / 1000
        let rest = seconds % 60
        return "\(seconds / 60)m" + (rest < 10 ? "0" : "") + "\(rest)s"
    }
}

extension Duration {
    /// Whole milliseconds in this duration.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// This duration in seconds as a floating-point number.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
