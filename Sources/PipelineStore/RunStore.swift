import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Run records on disk under a state folder: `runs/PIPELINE/N/` per run, an index, and locks.
package struct RunStore: Sendable {
    /// The state folder.
    package let root: String

    var index: RunIndex { RunIndex(path: "\(root)/index/runs.idx") }

    /// Opens (and creates, mode 0700) a state folder. Fails with a clear message when it is unusable.
    package init(root: String) throws {
        self.root = (root as NSString).standardizingPath
        for folder in [self.root, "\(self.root)/runs", "\(self.root)/index", "\(self.root)/locks"] {
            do { try Posix.makeDirectory(folder) } catch let error as PipelineError {
                // The user's --state-dir (or PIPELINE_STATE_DIR) is unusable: bad input, exit 2.
                throw PipelineError(.invalidInput, "state folder \(self.root): \(error.message)")
            }
        }
        guard access(self.root, R_OK | W_OK | X_OK) == 0 else {
            throw PipelineError(.invalidInput, "state folder \(self.root) is not readable and writable by this user")
        }
        // The default state folder is inside the repository: keep it out of `git status`.
        let ignore = "\(self.root)/.gitignore"
        if !FileManager.default.fileExists(atPath: ignore) {
            try? Posix.writeAtomically(
                Data("# pipeline's state folder: run records, locks, logs\n*\n".utf8), to: ignore)
        }
    }

    /// `user@host` of this process, as run records name who started or recovered a run.
    package static var identity: String {
        let user =
            ProcessInfo.processInfo.environment["USER"] ?? getpwuid(getuid()).map {
                String(cString: $0.pointee.pw_name)
            } ?? String(getuid())
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// The state folder from `--state-dir`, else `PIPELINE_STATE_DIR`, else `.pipeline` in the current folder.
    package static func defaultRoot(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment["PIPELINE_STATE_DIR"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/.pipeline"
    }

    func runFolder(pipeline: String, number: Int) -> String { "\(root)/runs/\(pipeline)/\(number)" }

    /// The last run number given out for a pipeline (`runs/PIPELINE/last-number`; 0 before the first).
    func lastNumber(pipeline: String) -> Int {
        (try? String(contentsOfFile: "\(root)/runs/\(pipeline)/last-number", encoding: .utf8)).flatMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        } ?? 0
    }

    /// The pipelines that have recorded runs, sorted.
    package var recordedPipelines: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/runs")) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Parses `PIPELINE-N`.
    package static func parse(runID: String) -> (pipeline: String, number: Int)? {
        guard let dash = runID.lastIndex(of: "-"), let n = Int(runID[runID.index(after: dash)...]), n > 0 else {
            return nil
        }
        let pipeline = String(runID[..<dash])
        guard !pipeline.isEmpty, !pipeline.contains("/"), !pipeline.hasPrefix(".") else { return nil }
        return (pipeline, n)
    }

    /// Starts a new run: assigns `PIPELINE-N` (never reused, safe across processes), creates its folder,
    /// holds its owner lock, and writes `run.json` and the index entry.
    package func createRun(
        pipeline: Pipeline, trigger: String, commit: CommitInfo, repository: String?, dryRun: Bool,
        status: RunStatus = .running
    ) throws -> (recorder: DiskRecorder, record: RunRecord) {
        let storeLock = try FileLock.lock("\(root)/index/store.lock")
        defer { _ = storeLock }
        let pipelineFolder = "\(root)/runs/\(pipeline.name)"
        try Posix.makeDirectory(pipelineFolder)
        let counterPath = "\(pipelineFolder)/last-number"
        var number = lastNumber(pipeline: pipeline.name) + 1
        while FileManager.default.fileExists(atPath: runFolder(pipeline: pipeline.name, number: number)) { number += 1 }
        try Posix.writeAtomically(Data("\(number)\n".utf8), to: counterPath)
        let folder = runFolder(pipeline: pipeline.name, number: number)
        for sub in [folder, "\(folder)/logs", "\(folder)/artifacts"] { try Posix.makeDirectory(sub) }
        guard let owner = try FileLock.tryLock("\(folder)/owner.lock") else {
            throw PipelineError(.io, "run folder \(folder) is locked by another process")
        }
        let slot = try index.nextSlot()
        var record = RunRecord(
            id: "\(pipeline.name)-\(number)", number: number, pipeline: pipeline, trigger: trigger, commit: commit,
            repository: repository, startedBy: Self.identity, pid: getpid(),
            workingDirectory: FileManager.default.currentDirectoryPath, startedAt: Date(), dryRun: dryRun)
        record.status = status
        let recorder = try DiskRecorder(folder: folder, slot: slot, index: index, owner: owner)
        try recorder.write(record)
        return (recorder, record)
    }

    /// Loads one run's record; a run left `running` by a dead process is reported (and repaired) as `interrupted`.
    package func load(runID: String) throws -> RunRecord {
        guard let (pipeline, number) = Self.parse(runID: runID) else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id (expected PIPELINE-N, e.g. web-12)")
        }
        let folder = runFolder(pipeline: pipeline, number: number)
        let path = "\(folder)/run.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(.notFound, "no run \(runID) in \(root)")
        }
        var record: RunRecord
        do {
            record = try RunRecordCoding.decoder.decode(RunRecord.self, from: data)
        } catch {
            throw PipelineError(
                .corruptRecord, "run record \(path) is corrupt and cannot be read: \(RunRecordCoding.describe(error))")
        }
        if record.status == .running {
            record.apply(EventLog.read("\(folder)/events.jsonl"))
            if record.status == .running, let repaired = try repairIfAbandoned(record, folder: folder) {
                record = repaired
            } else if record.status.isFinal {
                try? fixIndex(record)
            }
        }
        return record
    }

    /// Marks a `running` run whose owner process is gone as `interrupted` (or `failed` when it never
    /// started a stage: `RunRecord.abandoned`); nil when the owner is alive.
    func repairIfAbandoned(_ record: RunRecord, folder: String) throws -> RunRecord? {
        guard let lock = try? FileLock.tryLock("\(folder)/owner.lock") else { return nil }
        defer { _ = lock }
        let record = record.abandoned(owner: "pid \(record.pid)")
        try Posix.writeAtomically(try RunRecordCoding.encoder.encode(record), to: "\(folder)/run.json")
        try? fixIndex(record)
        return record
    }

    private func fixIndex(_ record: RunRecord) throws {
        var target: Int?
        try index.scanNewestFirst { summary, slot in
            if summary.id == record.id { target = slot }
            return target == nil
        }
        if let target { try index.write(RunSummary(record), slot: target) }
    }

    /// Lists runs newest first, with optional filters; reads only as much of the index as needed.
    package func list(
        pipeline: String? = nil, status: RunStatus? = nil, branch: String? = nil, trigger: String? = nil,
        limit: Int = 20, includeDryRuns: Bool = true
    ) throws -> [RunSummary] {
        var out: [RunSummary] = []
        guard limit > 0 else { return out }
        try index.scanNewestFirst { summary, _ in
            var summary = summary
            if summary.status == .running, let record = try? load(runID: summary.id) {
                summary.status = record.status
            }
            if let pipeline, summary.pipeline != pipeline { return true }
            if let branch, summary.branch != branch { return true }
            if let trigger, summary.trigger != trigger { return true }
            if let status, summary.status != status { return true }
            if !includeDryRuns, summary.dryRun == true { return true }
            out.append(summary)
            return out.count < limit
        }
        return out
    }

    /// The events of a run; a truncated last line (a crash mid-write) is skipped.
    package func events(runID: String) throws -> [RunEvent] {
        guard let (pipeline, number) = Self.parse(runID: runID) else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id")
        }
        return EventLog.read("\(runFolder(pipeline: pipeline, number: number))/events.jsonl")
    }

    /// The path of a stage's log file.
    package func logPath(runID: String, stage: String) throws -> String {
        guard let (pipeline, number) = Self.parse(runID: runID) else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id")
        }
        return "\(runFolder(pipeline: pipeline, number: number))/logs/\(LogFiles.fileName(stage))"
    }
}

/// JSON settings for run records.
package enum RunRecordCoding {
    /// Encodes records with sorted keys and ISO 8601 dates.
    package static let encoder = makeEncoder()

    /// The same, with camelCase Swift names written snake_case (for types without their own coding keys).
    package static let snakeCaseEncoder = makeEncoder(snakeCase: true)

    /// The same on one line (events.jsonl, S3 journals).
    package static let lineEncoder = makeEncoder(oneLine: true)

    private static func makeEncoder(snakeCase: Bool = false, oneLine: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        if snakeCase { e.keyEncodingStrategy = .convertToSnakeCase }
        e.outputFormatting =
            oneLine ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamp.precise(date))
        }
        return e
    }

    /// Decodes what `encoder` wrote.
    package static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            if let date = Timestamp.parse(text) { return date }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad date '\(text)'")
        }
        return d
    }()

    /// A short explanation of a decoding error.
    package static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: return "\(error)"
        }
    }
}
