import Foundation
import Synchronization

/// Where a run's stages wait for operators: a stage opens a session for the kinds of request it can act
/// on (an approval for approve and reject, a bake for skip-bake) and the engine delivers each request
/// that arrives to the open session that takes its kind. A request nobody waits for is answered
/// `ignored`, so that a skip-bake sent between two bakes never ends the next one.
public final class OperatorDesk: Sendable {
    struct Session {
        var kinds: Set<OperatorRequest.Kind>
        var refuse: @Sendable (OperatorRequest) -> String?
        var queue: [OperatorRequest] = []
        var waiter: (token: UUID, continuation: CheckedContinuation<OperatorRequest?, Never>)?
        /// Waits cancelled before they began (a cancellation handler can run first).
        var cancelledEarly: Set<UUID> = []
    }

    private let sessions = Mutex<[UUID: Session]>([:])

    /// A desk with no session open.
    public init() {}

    /// Opens a session taking `kinds`; `refuse` may turn a request down with a reason (e.g. not an approver).
    public func open(
        _ kinds: Set<OperatorRequest.Kind>, refuse: @escaping @Sendable (OperatorRequest) -> String? = { _ in nil }
    ) -> OperatorSession {
        let id = UUID()
        sessions.withLock { $0[id] = Session(kinds: kinds, refuse: refuse) }
        return OperatorSession(desk: self, id: id)
    }

    /// Hands a request to the session waiting for its kind; says whether one took it, and why not.
    public func deliver(_ request: OperatorRequest) -> (answer: OperatorAnswer, reason: String) {
        let (result, waiter) = sessions.withLock {
            sessions -> ((OperatorAnswer, String), CheckedContinuation<OperatorRequest?, Never>?) in
            guard let id = sessions.first(where: { $0.value.kinds.contains(request.kind) })?.key else {
                return ((.ignored, Self.nothingWaits(request.kind)), nil)
            }
            if let reason = sessions[id]?.refuse(request) { return ((.ignored, reason), nil) }
            if let waiter = sessions[id]?.waiter {
                sessions[id]?.waiter = nil
                return ((.taken, "taken"), waiter.continuation)
            }
            sessions[id]?.queue.append(request)
            return ((.taken, "taken"), nil)
        }
        waiter?.resume(returning: request)
        return result
    }

    static func nothingWaits(_ kind: OperatorRequest.Kind) -> String {
        switch kind {
        case .approve, .reject: return "no stage of the run is waiting for approval"
        case .skipBake: return "no stage of the run is baking"
        case .abort: return "the run is not running"
        }
    }

    fileprivate func next(_ id: UUID) async -> OperatorRequest? {
        let token = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<OperatorRequest?, Never>) in
                let ready = sessions.withLock { sessions -> OperatorRequest?? in
                    guard var session = sessions[id] else { return .some(nil) }
                    defer { sessions[id] = session }
                    if session.cancelledEarly.remove(token) != nil { return .some(nil) }
                    if !session.queue.isEmpty { return .some(session.queue.removeFirst()) }
                    session.waiter = (token, continuation)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = sessions.withLock { sessions -> CheckedContinuation<OperatorRequest?, Never>? in
                guard let waiter = sessions[id]?.waiter, waiter.token == token else {
                    sessions[id]?.cancelledEarly.insert(token)
                    return nil
                }
                sessions[id]?.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    fileprivate func close(_ id: UUID) {
        let waiter = sessions.withLock { $0.removeValue(forKey: id)?.waiter }
        waiter?.continuation.resume(returning: nil)
    }
}

/// One stage's open request window on the desk; close it when the stage stops waiting.
public final class OperatorSession: Sendable {
    private let desk: OperatorDesk
    private let id: UUID

    fileprivate init(desk: OperatorDesk, id: UUID) {
        self.desk = desk
        self.id = id
    }

    /// The next request delivered to this session; nil when the task is cancelled or the session closed.
    public func next() async -> OperatorRequest? { await desk.next(id) }

    /// The next request within `limit` on `clock`; nil when the time is up. Throws `CancellationError`
    /// when the task is cancelled.
    public func next(within limit: Duration, clock: any Clock<Duration>) async throws -> OperatorRequest? {
        // Both children are drained: a request handed over just as the time ran out is still returned.
        let request = await withTaskGroup(of: OperatorRequest?.self) { group in
            group.addTask {
                try? await clock.sleep(for: limit, tolerance: nil)
                return nil
            }
            group.addTask { await self.next() }
            var found: OperatorRequest?
            for await result in group {
                group.cancelAll()
                found = found ?? result
            }
            return found
        }
        if request == nil { try Task.checkCancellation() }
        return request
    }

    /// Stops taking requests.
    public func close() { desk.close(id) }
}
