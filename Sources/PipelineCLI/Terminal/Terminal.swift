import Foundation
import PipelineCore
import PipelineStore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Writing to the terminal: errors to stderr, and whether stdout is a terminal.
enum Terminal {
    static func error(_ message: String) {
        put(2, "error: \(message)\n")
    }

    /// The width of the terminal on stdout (80 when it cannot be read).
    static var columns: Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    static func note(_ message: String) {
        put(2, "\(message)\n")
    }

    /// Writes all of `text` to a descriptor; a closed pipe (EPIPE, SIGPIPE ignored) or any other error
    /// drops the text: output must never stop a deployment.
    static func put(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
        bytes.removeAll()
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Writes to stdout without buffering, so progress and output interleave correctly.
    static func write(_ text: String) {
        put(1, text)
    }

    static func timestamp(_ date: Date = Date()) -> String {
        PipelineCore.Timestamp.seconds(date)
    }

    /// Formats rows as aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let data = try RunRecordCoding.encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    /// JSON with snake_case keys, for types that are camelCase in Swift (the agent's status): one
    /// convention across every `--json`.
    static func snakeCaseJSON<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try RunRecordCoding.snakeCaseEncoder.encode(value), as: UTF8.self)
    }
}
