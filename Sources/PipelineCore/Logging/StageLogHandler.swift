import Foundation
import Logging

/// A swift-log handler that writes a stage's log lines to its log file, with secrets masked.
public struct StageLogHandler: LogHandler {
    private let sink: any LogSink
    private let redactor: Redactor
    private let echo: (@Sendable (String) -> Void)?
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info

    /// Creates a handler; `echo` also receives every line (e.g. for live progress).
    public init(sink: any LogSink, redactor: Redactor, echo: (@Sendable (String) -> Void)? = nil) {
        self.sink = sink
        self.redactor = redactor
        self.echo = echo
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line, secrets masked.
    public func log(event: LogEvent) {
        var text = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " " + merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        }
        let line = redactor.redact(text)
        sink.write(line)
        echo?(line)
    }

    private static func timestamp() -> String {
        Timestamp.precise(Date())
    }
}
