import Foundation

/// ISO 8601 timestamps in UTC, as run records, events and logs write them.
public enum Timestamp {
    private static let precise = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let seconds = Date.ISO8601FormatStyle()

    /// `2026-11-21T14:27:53.416Z`.
    public static func precise(_ date: Date) -> String { date.formatted(precise) }

    /// `2026-11-21T14:27:53Z`.
    public static func seconds(_ date: Date) -> String { date.formatted(seconds) }

    /// Parses either form.
    public static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: precise)) ?? (try? Date(text, strategy: seconds))
    }
}
