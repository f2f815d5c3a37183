import PipelineCore
import Testing

/// How waits space their looks.
@Suite struct BackoffTests {
    @Test func doublesFromAQuarterSecondUpToThePollInterval() {
        var backoff = Backoff(ceiling: .seconds(5))
        let delays = (0..<8).map { _ in backoff.next() }
        #expect(
            delays == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5),
                .seconds(5),
            ])
        backoff.reset()
        #expect(backoff.next() == .milliseconds(250))
    }

    /// A short poll_interval ramps up from a quarter of itself.
    @Test func aShortPollStartsAtAQuarterOfItself() {
        var backoff = Backoff(ceiling: .milliseconds(20))
        #expect(
            (0..<4).map { _ in backoff.next() } == [
                .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(20),
            ])
        var second = Backoff(ceiling: .milliseconds(800))
        #expect(second.next() == .milliseconds(200))
    }

    /// The budget docs/performance.md states: looks in a wait's first minute.
    @Test func firstMinuteBudget() {
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(5)) == 16)
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(10)) == 11)
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(30)) == 8)
    }
}
