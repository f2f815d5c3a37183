import Foundation
import PipelineCore
import Synchronization

/// The lock that lets only one run at a time deploy a target (provider, region, cluster, service), in a
/// state folder: an OS file lock under `locks/`, released by the kernel if the process dies.
///
/// Beside it, `locks/<target>.run` names the run that is changing the target. It is written before the
/// run's first stage and removed when the run ends, so a marker found by the next holder of the lock
/// names a run whose process died: that run must be recovered before anything else touches the target.
package final class TargetLock: TargetLease {
    private let lock: Mutex<FileLock?>
    /// The lock's key.
    package let key: String
    private let markerPath: String
    private let holder: String

    private init(lock: FileLock, key: String, markerPath: String, holder: String) {
        self.lock = Mutex(lock)
        self.key = key
        self.markerPath = markerPath
        self.holder = holder
    }

    static func path(_ store: RunStore, key: String) -> String { "\(store.root)/locks/\(StoreNames.safe(key)).lock" }
    static func marker(_ store: RunStore, key: String) -> String { "\(store.root)/locks/\(StoreNames.safe(key)).run" }

    /// Takes the lock without waiting; nil when another process holds it.
    package static func tryAcquire(_ store: RunStore, key: String, holder: String) throws -> TargetLock? {
        let path = path(store, key: key)
        guard let lock = try FileLock.tryLock(path) else { return nil }
        try? Posix.pwriteAll(lock.fd, Data(holder.utf8), at: 0, path: path)
        ftruncate(lock.fd, off_t(holder.utf8.count))
        return TargetLock(lock: lock, key: key, markerPath: marker(store, key: key), holder: holder)
    }

    /// Who holds the lock (what the holder wrote into it), nil when nobody does.
    static func holder(_ store: RunStore, key: String) -> String? {
        let path = path(store, key: key)
        guard FileLock.isHeld(path) else { return nil }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "another run"
    }

    /// The kernel holds the lock for this process while it lives: nothing can take it over.
    package func confirm() async throws {
        guard lock.withLock({ $0 != nil }) else { throw LeaseLost("the lock on \(key) was released") }
    }

    package func release() async { lock.withLock { $0 = nil } }

    /// Never lost while this process lives: the kernel holds it.
    package func onLost(_ handler: @escaping @Sendable (String) -> Void) {}

    package func abandonedRun() async -> String? {
        guard let text = try? String(contentsOfFile: markerPath, encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    package func attach(runID: String) async throws {
        try lock.withLock { held in
            guard let held else { return }
            let text = Data("run \(runID): \(holder)".utf8)
            try Posix.pwriteAll(held.fd, text, at: 0, path: held.path)
            ftruncate(held.fd, off_t(text.count))
        }
    }

    package func markActive(_ runID: String) async throws {
        try Posix.writeAtomically(Data("\(runID)\n".utf8), to: markerPath)
    }

    package func clearActive() async {
        unlink(markerPath)
        Posix.syncDirectory((markerPath as NSString).deletingLastPathComponent)
    }

    /// The targets with a marker: (lock key as written in the file name, run id).
    static func markers(_ store: RunStore) -> [(key: String, runID: String)] {
        let folder = "\(store.root)/locks"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".run") }.sorted().compactMap { name in
            guard let text = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) else { return nil }
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return id.isEmpty ? nil : (String(name.dropLast(4)), id)
        }
    }
}
