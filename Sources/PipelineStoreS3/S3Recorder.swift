import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore
import Synchronization

/// Records one run in S3. Writes go to memory at once and reach the bucket on `flush` (before each
/// stage, at the end of the run, and every few seconds while something is new, for readers on other
/// machines): `run.json` with `If-Match` on the ETag of its last write (a run repaired or recovered by
/// another process refuses this one's writes from then on), and one journal chunk with the events and
/// log lines since the last flush. The index entry is rewritten when the run's summary changes.
final class S3Recorder: RunRecorder {
    let layout: S3Layout
    let runID: String
    private let s3: S3
    private struct Pending {
        var record: RunRecord?
        var recordChanged = false
        var journal: [JournalLine] = []
        var artifacts: [String: Data] = [:]
        var unsent: Set<String> = []
        var etag: String
        var summary: RunSummary?
        var nextChunk: Int
        var closed = false
    }
    private let pending: Mutex<Pending>
    private let uploads = SerialTasks()
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    /// How often buffered lines are written while a stage runs.
    static let flushInterval: Duration = .seconds(5)

    init(s3: S3, layout: S3Layout, runID: String, etag: String, summary: RunSummary?, nextChunk: Int) {
        self.s3 = s3
        self.layout = layout
        self.runID = runID
        pending = Mutex(Pending(etag: etag, summary: summary, nextChunk: nextChunk))
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.flushInterval)
                guard let self, !Task.isCancelled else { return }
                if self.pending.withLock({ $0.closed }) { return }
                try? await self.flush()
            }
        }
        ticker.withLock { $0 = task }
    }

    /// `write` keeps the record until the next flush.
    var buffersWrites: Bool { true }

    func append(_ event: RunEvent) throws { pending.withLock { $0.journal.append(JournalLine(event: event)) } }

    func write(_ record: RunRecord) throws {
        pending.withLock {
            $0.record = record
            $0.recordChanged = true
        }
    }

    func log(stage: String) -> any LogSink { JournalLog(recorder: self, stage: stage) }

    var artifacts: any ArtifactSink { S3Artifacts(recorder: self) }

    fileprivate func saveArtifact(_ name: String, _ data: Data) {
        pending.withLock {
            $0.artifacts[name] = data
            $0.unsent.insert(name)
        }
    }

    fileprivate func artifact(_ name: String) -> Data? { pending.withLock { $0.artifacts[name] } }

    fileprivate func appendLog(stage: String, line: String) {
        pending.withLock { $0.journal.append(JournalLine(stage: stage, line: line)) }
    }

    /// Flushes are serialised: each waits for the one before it.
    func flush() async throws { try await uploads.run { [self] in try await self.upload() } }

    private func upload() async throws {
        let (record, journal, etag, chunk, artifacts) = pending.withLock { p in
            let taken = (
                p.recordChanged ? p.record : nil, p.journal, p.etag, p.nextChunk,
                p.unsent.map { ($0, p.artifacts[$0] ?? Data()) }
            )
            if !p.journal.isEmpty { p.nextChunk += 1 }
            p.recordChanged = false
            p.journal = []
            p.unsent = []
            return taken
        }
        for (name, data) in artifacts { try await s3.put(layout.artifact(runID, name), data) }
        guard record != nil || !journal.isEmpty else { return }
        async let chunkWrite: Void = {
            guard !journal.isEmpty else { return }
            let data = try StateObjects.journal(journal)
            // A chunk number is written once: a second writer of it is a past owner of the run.
            do {
                try await s3.put(
                    layout.journalChunk(runID, chunk), data, condition: .absent, contentType: "application/x-ndjson")
            } catch  where S3.isConditionFailure(error) {
                throw LeaseLost("run \(runID)'s journal was written by another process (it recovered the run)")
            }
        }()
        if let record {
            let newTag: String
            do {
                newTag = try await s3.put(
                    layout.runRecord(runID), try StateCoding.encoder.encode(record), condition: .matches(etag),
                    contentType: "application/json")
            } catch  where S3.isConditionFailure(error) {
                pending.withLock { $0.closed = true }
                throw LeaseLost(
                    "run \(runID)'s record was changed by another process (it recovered or repaired the run)")
            }
            let summary = RunSummary(record)
            let changed = pending.withLock { p -> Bool in
                p.etag = newTag
                if record.status.isFinal { p.closed = true }
                defer { p.summary = summary }
                return p.summary != summary
            }
            if changed { try await StateObjects(s3: s3, layout: layout).putIndex(summary) }
        }
        try await chunkWrite
        if pending.withLock({ $0.closed }) { ticker.withLock { $0?.cancel() } }
    }

    deinit { ticker.withLock { $0?.cancel() } }
}

/// One line of a run's journal: an event, or a line of a stage's log.
struct JournalLine: Codable, Sendable {
    var event: RunEvent?
    var stage: String?
    var line: String?

    init(event: RunEvent) { self.event = event }
    init(stage: String, line: String) {
        self.stage = stage
        self.line = line
    }
}

/// A stage's log, kept in the run's journal.
struct JournalLog: LogSink {
    let recorder: S3Recorder
    let stage: String
    func write(_ line: String) { recorder.appendLog(stage: stage, line: line) }
}

/// A run's artifacts: kept in memory for the run's stages, written under `runs/PIPELINE/N/artifacts/`
/// with the next flush.
struct S3Artifacts: ArtifactSink {
    let recorder: S3Recorder

    func save(_ name: String, data: Data) throws { recorder.saveArtifact(try StoreNames.artifact(name), data) }

    func load(_ name: String) throws -> Data? { recorder.artifact(try StoreNames.artifact(name)) }
}
