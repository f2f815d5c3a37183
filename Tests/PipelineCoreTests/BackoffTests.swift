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

    @Test func aPollShorterThanTheFirstStepIsUsedAsIs() {
        var backoff = Backoff(ceiling: .milliseconds(20))
        #expect(backoff.next() == .milliseconds(20))
        #expect(backoff.next() == .milliseconds(20))
    }

    /// The budget docs/performance.md states: looks in a wait's first minute.
    @Test func firstMinuteBudget() {
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(5)) == 16)
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(10)) == 11)
        #expect(Backoff.firstMinuteLooks(ceiling: .seconds(30)) == 8)
    }
}
