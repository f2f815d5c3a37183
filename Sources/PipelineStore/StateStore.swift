import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where the engine's truth lives: run records (with events, logs, artifacts), the run index, target
/// locks, quarantine marks and watch cursors. A folder on this machine (`RunStore`) or a prefix of an
/// S3 bucket that every machine shares (`S3StateStore`); the commands see only this protocol.
package protocol StateStore: Sendable {
    /// The folder, or `s3://bucket/prefix`, for messages.
    var location: String { get }
    /// A folder on this machine for what stays here whatever the store: the local provider's agent,
    /// watch's repository mirrors, installed plugins.
    var localRoot: String { get }

    /// Starts a new run: assigns `PIPELINE-N` (never reused, safe across processes and machines) and
    /// records it with its index entry.
    func startRun(
        pipeline: Pipeline, trigger: String, commit: CommitInfo, repository: String?, dryRun: Bool, status: RunStatus
    ) async throws -> (recorder: any RunRecorder, record: RunRecord)
    /// Opens a run whose process died, to finish it in the same record. The caller holds the run's
    /// target lock; a folder also checks the run's own process lock (`.locked` while it lives).
    func reopenForRecovery(runID: String) async throws -> (recorder: any RunRecorder, record: RunRecord)
    /// One run's record; a run left `running` by a process that is gone reads (and is repaired) as `interrupted`.
    func load(runID: String) async throws -> RunRecord
    /// Runs newest first, filtered (nil: any); reads only as much of the index as it needs.
    func list(
        pipeline: String?, status: RunStatus?, branch: String?, trigger: String?, limit: Int, includeDryRuns: Bool
    ) async throws -> [RunSummary]
    /// The pipelines with recorded runs, sorted.
    func pipelinesWithRuns() async throws -> [String]
    /// A run's events in order.
    func events(runID: String) async throws -> [RunEvent]
    /// A stage's log as written so far (nil when it has none).
    func logContents(runID: String, stage: String) async throws -> Data?
    /// Keeps the pipeline file a run started from, so another process can recover the run.
    func savePipelineSource(_ text: String, runID: String) async throws
    /// The pipeline file a run started from.
    func pipelineSource(runID: String) async throws -> String?

    /// Marks a commit of a pipeline as rolled back.
    func quarantine(_ mark: QuarantineMark) async throws
    /// The mark of a commit, if it is quarantined.
    func quarantined(pipeline: String, sha: String) async -> QuarantineMark?
    /// Every quarantined commit of a pipeline (full shas).
    func quarantinedCommits(pipeline: String) async -> Set<String>

    /// Takes a target's lock without waiting; nil when another process holds it.
    func tryLock(key: String, holder: LeaseHolder) async throws -> (any TargetLease)?
    /// Who holds a target's lock, for messages (`run web-12 on user@host, pid 4711`).
    func lockHolder(key: String) async -> String?
    /// Targets whose lock names a run that was changing them when its process died, and is free now.
    func abandonedTargets() async -> [(key: String, runID: String)]

    /// Takes a named lease of `watch` (one per pipeline@branch) without waiting; nil when it is held.
    func tryLease(_ name: String, holder: LeaseHolder) async throws -> (any Lease)?
    /// Watch's cursors of one repository.
    func cursors(repositoryKey: String) async throws -> any CursorStorage

    /// Records an operator's request for a run (approve, reject, abort, skip-bake) for its process to act on.
    func postRequest(_ request: OperatorRequest, runID: String) async throws
    /// The requests recorded for a run, oldest first.
    func requests(runID: String) async throws -> [OperatorRequest]
    /// How often a running run looks for new requests.
    var requestPollInterval: Duration { get }
}

/// Who takes a lock: shown to whoever waits for it.
package struct LeaseHolder: Sendable, Hashable, Codable {
    /// What holds it: `web (run)`, `recovery of web-3`, `watch`.
    package var purpose: String
    /// `user@host`.
    package var host: String
    /// The process.
    package var pid: Int32

    package init(purpose: String, host: String = RunStore.identity, pid: Int32 = getpid()) {
        self.purpose = purpose
        self.host = host
        self.pid = pid
    }

    /// `web (run) on user@host, pid 4711`.
    package var description: String { "\(purpose) on \(host), pid \(pid)" }
}

/// A lock this process holds until `release` (or until its lease lapses, in S3).
package protocol Lease: AnyObject, Sendable, TargetLeaseCheck {
    /// What it locks.
    var key: String { get }
    /// Gives it up. Safe to call twice.
    func release() async
}

/// A target's lock, with the mark of the run changing the target (the run to recover when its
/// process dies before the mark is cleared).
package protocol TargetLease: Lease {
    /// The run that was changing the target when its process died, if any (read while holding the lock).
    func abandonedRun() async -> String?
    /// Names the run using the lock (shown to waiters; in S3 also what tells a live run from a dead one).
    func attach(runID: String) async throws
    /// Records that `runID` is changing the target (before its first stage).
    func markActive(_ runID: String) async throws
    /// Clears the mark once the run (or its recovery) has ended.
    func clearActive() async
    /// Calls `handler` once if the lease is lost while held (a lease that cannot lapse never calls it).
    func onLost(_ handler: @escaping @Sendable (String) -> Void)
}

/// Watch's cursors of one repository: the last head seen per branch, and the last commit each
/// pipeline@branch ran (or was decided) for.
package protocol CursorStorage: Sendable {
    /// The saved cursors (empty when there are none yet).
    func load() async throws -> Cursors
    /// Sets one branch's head, keeping what other processes saved meanwhile.
    func setBranch(_ branch: String, head: String) async throws
    /// Sets one pipeline@branch's commit, keeping what other processes saved meanwhile.
    func setPipeline(_ key: String, commit: String) async throws
}

extension StateStore {
    /// Runs newest first, filtered by pipeline and status.
    package func list(pipeline: String?, status: RunStatus?, limit: Int, includeDryRuns: Bool) async throws
        -> [RunSummary]
    {
        try await list(
            pipeline: pipeline, status: status, branch: nil, trigger: nil, limit: limit, includeDryRuns: includeDryRuns)
    }

    /// Takes a target's lock. Without `wait`, throws `.locked` naming the holder when it is taken;
    /// with `wait`, calls `onWait` once and polls until it is free (honouring cancellation).
    package func acquireLock(
        key: String, holder: LeaseHolder, wait: Bool, poll: Duration = .milliseconds(200),
        onWait: @Sendable (String) -> Void
    ) async throws -> any TargetLease {
        var announced = false
        while true {
            if let lock = try await tryLock(key: key, holder: holder) { return lock }
            let current = await lockHolder(key: key) ?? "another run"
            guard wait else {
                throw PipelineError(.locked, "target \(key) is being deployed by \(current); not waiting (--no-wait)")
            }
            if !announced {
                onWait("waiting for target \(key): locked by \(current)")
                announced = true
            }
            try await Task.sleep(for: poll)
        }
    }

    /// The history rollback reads: the outputs of the newest succeeded run of a pipeline.
    package var history: any RunHistory { StoreHistory(store: self) }
}

/// Everything recorded of one run, as `pipeline state copy` moves it between stores.
package struct RunBundle: Sendable {
    /// The record.
    package var record: RunRecord
    /// Its events, in order.
    package var events: [RunEvent]
    /// Stage id → its log.
    package var logs: [String: Data]
    /// Artifact name → bytes.
    package var artifacts: [String: Data]
    /// The pipeline file it started from.
    package var pipelineSource: String?

    package init(
        record: RunRecord, events: [RunEvent], logs: [String: Data], artifacts: [String: Data],
        pipelineSource: String?
    ) {
        self.record = record
        self.events = events
        self.logs = logs
        self.artifacts = artifacts
        self.pipelineSource = pipelineSource
    }
}

/// What `pipeline state copy` reads from one store and writes into another.
package protocol StateTransfer: StateStore {
    /// One run with everything recorded of it.
    func exportRun(_ runID: String) async throws -> RunBundle
    /// Writes a run as it was recorded elsewhere (same id); false when the id is taken here already.
    func importRun(_ bundle: RunBundle) async throws -> Bool
    /// Watch's cursors by repository key as stored (sanitised).
    func allCursors() async throws -> [String: Cursors]
    /// Writes one repository's cursors.
    func importCursors(_ cursors: Cursors, key: String) async throws
}

extension StateStore {
    /// A run's bundle from the protocol's reads (artifacts are left to the store that has them).
    package func bundle(_ runID: String, artifacts: [String: Data]) async throws -> RunBundle {
        let record = try await load(runID: runID)
        var logs: [String: Data] = [:]
        for stage in record.stages {
            if let log = try await logContents(runID: runID, stage: stage.id) { logs[stage.id] = log }
        }
        return RunBundle(
            record: record, events: try await events(runID: runID), logs: logs, artifacts: artifacts,
            pipelineSource: try await pipelineSource(runID: runID))
    }
}

/// The file-name form of a repository key, shared by every store (`/srv/repo.git` → `_srv_repo_git`).
package func cursorFileName(_ repositoryKey: String) -> String {
    String(String(repositoryKey.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }).suffix(120))
}
