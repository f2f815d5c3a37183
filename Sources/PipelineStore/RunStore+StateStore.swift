import Foundation
import PipelineCore
import Synchronization

extension RunStore: StateStore {
    package var location: String { root }
    package var localRoot: String { root }

    package func startRun(
        pipeline: Pipeline, trigger: String, commit: CommitInfo, repository: String?, dryRun: Bool, status: RunStatus
    ) async throws -> (recorder: any RunRecorder, record: RunRecord) {
        let (recorder, record) = try createRun(
            pipeline: pipeline, trigger: trigger, commit: commit, repository: repository, dryRun: dryRun,
            status: status)
        return (recorder, record)
    }

    package func reopenForRecovery(runID: String) async throws -> (recorder: any RunRecorder, record: RunRecord) {
        let (recorder, record) = try openForRecovery(runID: runID)
        return (recorder, record)
    }

    package func pipelinesWithRuns() async throws -> [String] { recordedPipelines }

    package func logContents(runID: String, stage: String) async throws -> Data? {
        FileManager.default.contents(atPath: try logPath(runID: runID, stage: stage))
    }

    package func tryLock(key: String, holder: LeaseHolder) async throws -> (any TargetLease)? {
        try TargetLock.tryAcquire(self, key: key, holder: holder.description)
    }

    package func lockHolder(key: String) async -> String? { TargetLock.holder(self, key: key) }

    package func abandonedTargets() async -> [(key: String, runID: String)] {
        TargetLock.markers(self).filter { !FileLock.isHeld(TargetLock.path(self, key: $0.key)) }
    }

    package func tryLease(_ name: String, holder: LeaseHolder) async throws -> (any Lease)? {
        let folder = "\(root)/watch/leases"
        try Posix.makeDirectory("\(root)/watch")
        try Posix.makeDirectory(folder)
        guard let lock = try FileLock.tryLock("\(folder)/\(StoreNames.safe(name)).lock") else { return nil }
        return FolderLease(key: name, lock: lock)
    }

    package func cursors(repositoryKey: String) async throws -> any CursorStorage {
        try CursorStore(store: self, repositoryKey: repositoryKey)
    }
}

/// A named lease in a state folder: an OS file lock, dropped by the kernel when the process dies.
final class FolderLease: Lease {
    let key: String
    private let lock: Mutex<FileLock?>

    init(key: String, lock: FileLock) {
        self.key = key
        self.lock = Mutex(lock)
    }

    func confirm() async throws {
        guard lock.withLock({ $0 != nil }) else { throw LeaseLost("the lease \(key) was released") }
    }

    func release() async { lock.withLock { $0 = nil } }
}
