import Foundation

/// ISO 8601 timestamps in UTC, as run records, events and logs write them.
public enum Timestamp {
    private static let precise = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let seconds = Date.ISO8601FormatStyle()

    /// `2026-11-21T14:27:53.416Z`: rounded to the nearest millisecond in whole numbers, so that a
    /// date read back from this text writes the same text again (the fractional format truncates a
    /// binary fraction, and 53.416 read back is 53.41599…).
    public static func precise(_ date: Date) -> String {
        let ms = milliseconds(date)
        let whole = Date(timeIntervalSince1970: Double(ms.quotientAndRemainder(dividingBy: 1000).quotient))
        let fraction = ms - ms.quotientAndRemainder(dividingBy: 1000).quotient * 1000
        let text = whole.formatted(seconds)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - String(fraction).count)
            + String(fraction) + "Z"
    }

    /// The date in whole milliseconds since 1970, rounded to the nearest (what `precise` writes).
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `2026-11-21T14:27:53Z`.
    public static func seconds(_ date: Date) -> String { date.formatted(seconds) }

    /// Parses either form.
    public static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: precise)) ?? (try? Date(text, strategy: seconds))
    }
}
