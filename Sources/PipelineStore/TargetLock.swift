import Foundation
import PipelineCore

/// The lock that lets only one run at a time deploy a target (provider, region, cluster, service).
/// It is an OS file lock under `locks/`, released by the kernel if the process dies.
public final class TargetLock: Sendable {
    private let lock: FileLock

    private init(lock: FileLock) { self.lock = lock }

    static func path(_ store: RunStore, key: String) -> String {
        let safe = key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return "\(store.root)/locks/\(String(safe)).lock"
    }

    /// Takes the target lock. Without `wait`, throws `.locked` naming the holder when it is taken;
    /// with `wait`, calls `onWait` once and polls until the lock is free (honouring cancellation).
    public static func acquire(
        _ store: RunStore, key: String, holder: String, wait: Bool, onWait: @Sendable (String) -> Void
    ) async throws -> TargetLock {
        let path = path(store, key: key)
        var announced = false
        while true {
            if let lock = try FileLock.tryLock(path) {
                try? Posix.pwriteAll(lock.fd, Data(holder.utf8), at: 0, path: path)
                ftruncate(lock.fd, off_t(holder.utf8.count))
                return TargetLock(lock: lock)
            }
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
}
