import Foundation
import PipelineCore
import Synchronization

/// A run recorder that keeps everything in memory, for tests of stages and pipelines.
public final class InMemoryRecorder: RunRecorder {
    private struct State {
        var events: [RunEvent] = []
        var lastRecord: RunRecord?
        var writeCount = 0
        var logs: [String: [String]] = [:]
    }

    private let state = Mutex(State())
    private let artifactStore = InMemoryArtifacts()

    /// An empty recorder.
    public init() {}

    /// Keeps the event.
    public func append(_ event: RunEvent) throws { state.withLock { $0.events.append(event) } }
    /// Keeps the newest record.
    public func write(_ record: RunRecord) throws {
        state.withLock {
            $0.lastRecord = record
            $0.writeCount += 1
        }
    }
    /// A sink keeping a stage's log lines in memory.
    public func log(stage: String) -> any LogSink { Sink(recorder: self, stage: stage) }
    /// The run's artifacts, in memory.
    public var artifacts: any ArtifactSink { artifactStore }

    /// Every event recorded so far.
    public var events: [RunEvent] { state.withLock { $0.events } }
    /// The newest record written.
    public var lastRecord: RunRecord? { state.withLock { $0.lastRecord } }
    /// How many times the record was written.
    public var writeCount: Int { state.withLock { $0.writeCount } }
    /// The log lines of one stage.
    public func logLines(_ stage: String) -> [String] { state.withLock { $0.logs[stage] ?? [] } }
    /// A saved artifact.
    public func artifact(_ name: String) -> Data? { try? artifactStore.load(name) }

    fileprivate func appendLog(_ stage: String, _ line: String) {
        state.withLock { $0.logs[stage, default: []].append(line) }
    }

    private struct Sink: LogSink {
        let recorder: InMemoryRecorder
        let stage: String
        func write(_ line: String) { recorder.appendLog(stage, line) }
    }
}

/// Artifacts kept in memory.
public final class InMemoryArtifacts: ArtifactSink {
    private let files = Mutex<[String: Data]>([:])
    /// No artifacts yet.
    public init() {}
    /// Keeps a file by name.
    public func save(_ name: String, data: Data) throws { files.withLock { $0[name] = data } }
    /// A kept file, or nil.
    public func load(_ name: String) throws -> Data? { files.withLock { $0[name] } }
}
