/// How a wait spaces its looks at the platform: soon after the change, then further apart — 250 ms
/// (or a quarter of `poll_interval` when that is shorter), doubling, up to the stage's
/// `poll_interval`. A rollout that ends in 0.6 s is seen at 0.75 s, not one whole poll later, while a
/// wait of minutes settles at one look per `poll_interval`: over a minute at most
/// `firstMinuteLooks(ceiling:)` looks (16 with the 5 s default, against 12 at a fixed 5 s), and each
/// further minute 60 / `poll_interval`.
public struct Backoff: Sendable {
    /// The first delay.
    public static let first: Duration = .milliseconds(250)

    /// The longest delay: the stage's `poll_interval`.
    public let ceiling: Duration
    private let start: Duration
    private var current: Duration

    /// A backoff that starts at `first` (at most a quarter of `ceiling`) and doubles up to `ceiling`.
    public init(ceiling: Duration, first: Duration = Backoff.first) {
        self.ceiling = max(ceiling, .milliseconds(1))
        self.start = min(first, self.ceiling / 4)
        self.current = self.start
    }

    /// The delay before the next look; each call doubles the one after, up to `ceiling`.
    public mutating func next() -> Duration {
        let delay = current
        current = min(current * 2, ceiling)
        return delay
    }

    /// Starts again from the first delay (a new change was made).
    public mutating func reset() {
        current = start
    }

    /// The most looks a wait with this ceiling makes in its first minute (the look right after the
    /// change included): the budget docs/performance.md lists per stage.
    public static func firstMinuteLooks(ceiling: Duration, first: Duration = Backoff.first) -> Int {
        var backoff = Backoff(ceiling: ceiling, first: first)
        var elapsed: Duration = .zero
        var looks = 1
        while true {
            elapsed += backoff.next()
            if elapsed > .seconds(60) { return looks }
            looks += 1
        }
    }
}
