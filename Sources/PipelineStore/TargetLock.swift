import Foundation
import PipelineCore

/// The lock that lets only one run at a time deploy a target (provider, region, cluster, service).
/// It is an OS file lock under `locks/`, released by the kernel if the process dies.
///
/// Beside it, `locks/<target>.run` names the run that is changing the target. It is written before the
/// run's first stage and removed when the run ends, so a marker found by the next holder of the lock
/// names a run whose process died: that run must be recovered before anything else touches the target.
package final class TargetLock: Sendable {
    private let lock: FileLock
    /// The lock's key.
    package let key: String
    private let markerPath: String

    private init(lock: FileLock, key: String, markerPath: String) {
        self.lock = lock
        self.key = key
        self.markerPath = markerPath
    }

    static func safe(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    static func path(_ store: RunStore, key: String) -> String { "\(store.root)/locks/\(safe(key)).lock" }
    static func marker(_ store: RunStore, key: String) -> String { "\(store.root)/locks/\(safe(key)).run" }

    /// Takes the lock without waiting; nil when another process holds it.
    package static func tryAcquire(_ store: RunStore, key: String, holder: String) throws -> TargetLock? {
        let path = path(store, key: key)
        guard let lock = try FileLock.tryLock(path) else { return nil }
        try? Posix.pwriteAll(lock.fd, Data(holder.utf8), at: 0, path: path)
        ftruncate(lock.fd, off_t(holder.utf8.count))
        return TargetLock(lock: lock, key: key, markerPath: marker(store, key: key))
    }

    /// Takes the target lock. Without `wait`, throws `.locked` naming the holder when it is taken;
    /// with `wait`, calls `onWait` once and polls until the lock is free (honouring cancellation).
    package static func acquire(
        _ store: RunStore, key: String, holder: String, wait: Bool, onWait: @Sendable (String) -> Void
    ) async throws -> TargetLock {
        let path = path(store, key: key)
        var announced = false
        while true {
            if let lock = try tryAcquire(store, key: key, holder: holder) { return lock }
            let current = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "another run"
            guard wait else {
                throw PipelineError(.locked, "target \(key) is being deployed by \(current); not waiting (--no-wait)")
            }
            if !announced {
                onWait("waiting for target \(key): locked by \(current)")
                announced = true
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The run that was changing the target when its process died, if any (read while holding the lock).
    package var abandonedRun: String? {
        guard let text = try? String(contentsOfFile: markerPath, encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    /// Records that `runID` is changing the target (before its first stage).
    package func markActive(_ runID: String) throws {
        try Posix.writeAtomically(Data("\(runID)\n".utf8), to: markerPath)
    }

    /// Clears the marker once the run (or its recovery) has ended.
    package func clearActive() {
        unlink(markerPath)
        Posix.syncDirectory((markerPath as NSString).deletingLastPathComponent)
    }

    /// The targets with a marker: (lock key as written in the file name, run id).
    package static func markers(_ store: RunStore) -> [(key: String, runID: String)] {
        let folder = "\(store.root)/locks"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".run") }.sorted().compactMap { name in
            guard let text = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) else { return nil }
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return id.isEmpty ? nil : (String(name.dropLast(4)), id)
        }
    }
}
