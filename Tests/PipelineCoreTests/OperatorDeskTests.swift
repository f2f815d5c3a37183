import Foundation
import PipelineCore
import Testing

/// The desk where stages wait for operators' requests.
struct OperatorDeskTests {
    static func request(_ kind: OperatorRequest.Kind, by: String = "alice") -> OperatorRequest {
        OperatorRequest(kind: kind, by: by, from: "alice@host (pid 1)")
    }

    @Test func aRequestNobodyWaitsForIsIgnoredAndNotKeptForLater() async throws {
        let desk = OperatorDesk()
        #expect(desk.deliver(Self.request(.skipBake)).answer == .ignored)
        let session = desk.open([.skipBake])
        defer { session.close() }
        // The skip sent before the bake opened does not end it.
        #expect(try await session.next(within: .milliseconds(50), clock: ContinuousClock()) == nil)
        #expect(desk.deliver(Self.request(.approve)).answer == .ignored)
    }

    @Test func aDeliveredRequestEndsTheWaitAndQueuedOnesAreKept() async throws {
        let desk = OperatorDesk()
        let session = desk.open([.approve, .reject])
        defer { session.close() }
        let waiter = Task { try await session.next(within: .seconds(30), clock: ContinuousClock()) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(desk.deliver(Self.request(.reject)).answer == .taken)
        #expect(try await waiter.value?.kind == .reject)
        // Delivered while nobody is inside `next`: kept for the session's next look.
        #expect(desk.deliver(Self.request(.approve)).answer == .taken)
        #expect(try await session.next(within: .milliseconds(10), clock: ContinuousClock())?.kind == .approve)
    }

    @Test func aRefusedRequestIsAnsweredWithTheReason() {
        let desk = OperatorDesk()
        let session = desk.open([.approve]) { $0.by == "alice" ? nil : "\($0.by) may not" }
        defer { session.close() }
        let answer = desk.deliver(Self.request(.approve, by: "bob"))
        #expect(answer.answer == .ignored && answer.reason == "bob may not")
    }

    /// Each wait that times out waits its whole time, again and again (a cancelled look must not make
    /// the next one return at once).
    @Test func repeatedTimeoutsEachWaitTheirTime() async throws {
        let desk = OperatorDesk()
        let session = desk.open([.skipBake])
        defer { session.close() }
        let start = ContinuousClock.now
        for _ in 0..<4 {
            #expect(try await session.next(within: .milliseconds(40), clock: ContinuousClock()) == nil)
        }
        #expect(ContinuousClock.now - start >= .milliseconds(160))
        #expect(desk.deliver(Self.request(.skipBake)).answer == .taken)
        #expect(try await session.next(within: .seconds(5), clock: ContinuousClock())?.kind == .skipBake)
    }

    @Test func cancellingTheWaitingTaskEndsTheWait() async throws {
        let desk = OperatorDesk()
        let session = desk.open([.approve])
        defer { session.close() }
        let waiter = Task { try await session.next(within: .seconds(60), clock: ContinuousClock()) }
        try await Task.sleep(for: .milliseconds(30))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test func abortCancelsTheRunAndIsAnsweredOnlyWhileItRuns() {
        let control = RunControl()
        #expect(control.deliver(Self.request(.abort)).answer == .ignored)
        #expect(control.cancelReason == nil)
    }
}
