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
}

/// An append-only text log.
public protocol LogSink: Sendable {
    /// Appends one line (a newline is added).
    func write(_ line: String)
}
