import Synchronization

/// Counts the calls a stage makes to its platform (AWS API operations; the local agent's requests),
/// by operation. The runner binds one to each stage while it runs; clients count into `current`. The
/// counts land in the stage's record (`api_calls` in `pipeline show --json`).
public final class CallMeter: Sendable {
    /// The meter of the stage the current task works for, if any.
    @TaskLocal public static var current: CallMeter?

    private let counts = Mutex<[String: Int]>([:])

    /// An empty meter.
    public init() {}

    /// Counts one call of `operation` (`ECS.DescribeServices`).
    public func count(_ operation: String) {
        counts.withLock { $0[operation, default: 0] += 1 }
    }

    /// The calls counted so far, by operation.
    public var snapshot: [String: Int] { counts.withLock { $0 } }
}
