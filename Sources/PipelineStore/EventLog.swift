import Foundation
import PipelineCore
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `events.jsonl`: one JSON event a line, each written and fsynced before `append` returns.
final class EventLog: Sendable {
    let path: String
    private let fd: Mutex<Int32>

    static let encoder = RunRecordCoding.lineEncoder

    init(path: String) throws {
        self.path = path
        fd = Mutex(try Posix.open(path, O_WRONLY | O_CREAT | O_APPEND))
    }

    func append(_ event: RunEvent) throws {
        var data = try Self.encoder.encode(event)
        data.append(UInt8(ascii: "\n"))
        try fd.withLock { fd in
            try Posix.writeAll(fd, data, path: path)
            guard fdatasync(fd) == 0 else { throw PipelineError(.io, "cannot sync \(path): \(Posix.errorText())") }
        }
    }

    /// Reads every complete, decodable line; a torn or corrupt line is skipped.
    static func read(_ path: String) -> [RunEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var events: [RunEvent] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            if let event = try? RunRecordCoding.decoder.decode(RunEvent.self, from: line) { events.append(event) }
        }
        return events
    }

    deinit { fd.withLock { _ = close($0) } }
}
