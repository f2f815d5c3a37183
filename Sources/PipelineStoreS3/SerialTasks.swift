import Synchronization

/// Runs async operations one after another, whoever calls: each waits for the one queued before it
/// (a flush and the ticker's flush, a lease's heartbeat and a stage's confirmation never race on one
/// ETag). An actor would not do: its methods interleave at every `await`.
final class SerialTasks: Sendable {
    private let last = Mutex<Task<Void, any Error>?>(nil)

    /// Runs `body` after everything queued before it; throws what `body` throws.
    func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let task = last.withLock { last -> Task<Void, any Error> in
            let previous = last
            let next = Task {
                _ = try? await previous?.value
                try await body()
            }
            last = next
            return next
        }
        try await task.value
    }

    /// Waits until what is queued now has finished.
    func drain() async { _ = try? await last.withLock({ $0 })?.value }
}
