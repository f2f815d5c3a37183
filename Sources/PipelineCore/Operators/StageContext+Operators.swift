import Foundation

extension StageContext {
    /// Waits for an operator's request of one of `kinds` (e.g. approve, reject) for at most `limit`,
    /// with the stage recorded as `waiting` meanwhile (`message` says what for). `refuse` turns a request
    /// down with a reason, answered to the operator; the wait goes on. Returns nil when the time is up.
    public func waitForOperator(
        _ kinds: Set<OperatorRequest.Kind>, limit: Duration, message: String,
        refuse: @escaping @Sendable (OperatorRequest) -> String? = { _ in nil }
    ) async throws -> OperatorRequest? {
        guard let desk = operatorDesk else {
            throw StageFailure("no operator can reach this run (it was not started by the engine)")
        }
        let session = desk.open(kinds, refuse: refuse)
        defer { session.close() }
        try await waitingHandler?(true, message)
        let request: OperatorRequest?
        do {
            request = try await session.next(within: limit, clock: clock)
        } catch {
            try? await waitingHandler?(false, "stopped waiting: cancelled")
            throw error
        }
        try await waitingHandler?(false, request.map { $0.summary } ?? "no answer in \(DurationFormat.format(limit))")
        return request
    }

    /// A bake that `pipeline skip-bake` can end early: open it for the bake's whole time and wait on it.
    public func bake() -> BakeTimer { BakeTimer(session: operatorDesk?.open([.skipBake]), clock: clock) }
}

/// A stage's bake time, which an operator can end early (`pipeline skip-bake RUN_ID`).
public struct BakeTimer: Sendable {
    let session: OperatorSession?
    let clock: any Clock<Duration>

    /// Sleeps `duration`; returns the skip request when an operator ended the bake. Throws
    /// `CancellationError` when the stage is cancelled.
    public func sleep(for duration: Duration) async throws -> OperatorRequest? {
        guard let session else {
            try await clock.sleep(for: duration, tolerance: nil)
            return nil
        }
        return try await session.next(within: duration, clock: clock)
    }

    /// Stops taking skip requests (a skip sent after this is answered `ignored`).
    public func end() { session?.close() }
}
