import Foundation

/// Where a run is recorded. The store implements it on disk; the test kit in memory.
public protocol RunRecorder: Sendable {
    /// Appends an event durably (flushed and synced) before returning.
    func append(_ event: RunEvent) throws
    /// Replaces the run record atomically.
    func write(_ record: RunRecord) throws
    /// The append-only log of one stage.
    func log(stage: String) -> any LogSink
    /// The run's artifacts folder.
    var artifacts: any ArtifactSink { get }
    /// Makes everything written so far durable where other machines read it. The runner calls it
    /// before each stage starts and when the run ends; a recorder that writes durably at once (the
    /// state folder) has nothing to do.
    func flush() async throws
    /// True when `write` only keeps the record until `flush` (cheap): the runner then hands it the
    /// record at every stage start, where a durable writer gets a snapshot at most every 250 ms.
    var buffersWrites: Bool { get }
}

extension RunRecorder {
    /// Nothing to do: `append` and `write` were durable when they returned.
    public func flush() async throws {}
    /// False: `write` is durable, and costs a file write.
    public var buffersWrites: Bool { false }
}

/// What a run holds while it changes its target: a lock whose lease another process can take over
/// once it lapses (state in S3). The runner confirms it before every stage that changes the target.
public protocol TargetLeaseCheck: Sendable {
    /// Returns when this process still holds the target; throws `LeaseLost` when it does not, and the
    /// run stops at once without touching the target (the next holder recovers it).
    func confirm() async throws
}

/// This process no longer holds its target's lock (its lease lapsed or another process took it).
public struct LeaseLost: Error, Sendable, CustomStringConvertible {
    /// Why, for the run record.
    public var reason: String
    /// The error.
    public init(_ reason: String) { self.reason = reason }
    /// The reason.
    public var description: String { reason }
}

/// An append-only text log.
public protocol LogSink: Sendable {
    /// Appends one line (a newline is added).
    func write(_ line: String)
}
