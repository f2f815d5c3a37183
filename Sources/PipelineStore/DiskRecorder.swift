import Foundation
import PipelineCore
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Records one run in its folder: `run.json` (atomic), `events.jsonl` (fsynced), logs and artifacts.
/// Holds the run's owner lock while alive, so a crashed run is recognised as `interrupted`.
package final class DiskRecorder: RunRecorder {
    /// The run's folder.
    package let folder: String
    let slot: Int
    let index: RunIndex
    private let owner: FileLock
    private let events: EventLog
    private let lastSummary = Mutex<RunSummary?>(nil)
    package let artifacts: any ArtifactSink

    init(folder: String, slot: Int, index: RunIndex, owner: FileLock) throws {
        self.folder = folder
        self.slot = slot
        self.index = index
        self.owner = owner
        self.events = try EventLog(path: "\(folder)/events.jsonl")
        self.artifacts = ArtifactFolder(path: "\(folder)/artifacts")
    }

    package func append(_ event: RunEvent) throws { try events.append(event) }

    package func write(_ record: RunRecord) throws {
        try Posix.writeAtomically(try RunRecordCoding.encoder.encode(record), to: "\(folder)/run.json")
        let summary = RunSummary(record)
        let changed = lastSummary.withLock { last -> Bool in
            defer { last = summary }
            return last != summary
        }
        if changed { try index.write(summary, slot: slot) }
    }

    package func log(stage: String) -> any LogSink {
        AppendFile(path: "\(folder)/logs/\(LogFiles.fileName(stage))")
    }
}

/// The names every store gives files and objects made from ids, keys and stage names.
package enum StoreNames {
    /// Letters, digits, `-`, `_` and `.` kept; anything else (a `/` of a lock key) becomes `_`.
    package static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    /// An artifact's name, checked: a plain file name (no folder, not `.` or `..`).
    package static func artifact(_ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw PipelineError(.invalidInput, "artifact name '\(name)' must be a plain file name")
        }
        return name
    }
}

/// Log file names for stage ids.
enum LogFiles {
    static func fileName(_ stage: String) -> String { StoreNames.safe(stage) + ".log" }
}

/// An append-only text file; each line is one `write` call (atomic for lines under PIPE_BUF with O_APPEND).
final class AppendFile: LogSink {
    private let fd: Mutex<Int32>
    let path: String

    init(path: String) {
        self.path = path
        fd = Mutex(Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600))
    }

    func write(_ line: String) {
        fd.withLock { fd in
            guard fd >= 0 else { return }
            try? Posix.writeAll(fd, Data((line + "\n").utf8), path: path)
        }
    }

    deinit { fd.withLock { if $0 >= 0 { close($0) } } }
}

/// The `artifacts/` folder of a run.
struct ArtifactFolder: ArtifactSink {
    let path: String

    private func file(_ name: String) throws -> String { "\(path)/\(try StoreNames.artifact(name))" }

    func save(_ name: String, data: Data) throws { try Posix.writeAtomically(data, to: try file(name)) }

    func load(_ name: String) throws -> Data? { FileManager.default.contents(atPath: try file(name)) }
}
