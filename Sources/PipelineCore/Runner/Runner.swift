import Foundation
import Logging

/// Runs a pipeline's stages in order, then `on_failure` when one fails, recording everything.
public struct Runner: Sendable {
    /// The stages `uses:` names resolve to.
    public var registry: StageRegistry
    /// The clock stages wait on.
    public var clock: any Clock<Duration>
    /// The environment expressions and stages see.
    public var environment: [String: String]
    /// Earlier runs, for stages such as rollback.
    public var history: any RunHistory
    /// Extra services for stages (e.g. the deployment target).
    public var services: ServiceBag
    /// Receives every event as it is recorded, and every log line (for live progress).
    public var observer: (any RunObserver)?

    /// A runner for the given stages, environment, run history, services and progress observer.
    public init(
        registry: StageRegistry, clock: any Clock<Duration> = ContinuousClock(), environment: [String: String],
        history: any RunHistory = EmptyRunHistory(), services: ServiceBag = ServiceBag(),
        observer: (any RunObserver)? = nil
    ) {
        self.registry = registry
        self.clock = clock
        self.environment = environment
        self.history = history
        self.services = services
        self.observer = observer
    }

    /// Everything one run needs besides the pipeline.
    public struct Job: Sendable {
        /// The pipeline to run.
        public var pipeline: Pipeline
        /// The run's record as created by the store (status running, no stages yet).
        public var record: RunRecord
        /// The files of the commit being deployed.
        public var source: any SourceTree
        /// Where the run's record, events, logs and artifacts go.
        public var recorder: any RunRecorder
        /// Lets the caller cancel the run or fail its current stage.
        public var control: RunControl
        /// The target's lock, confirmed before every stage that changes the target (nil: nothing to confirm).
        public var lease: (any TargetLeaseCheck)?

        /// A job.
        public init(
            pipeline: Pipeline, record: RunRecord, source: any SourceTree, recorder: any RunRecorder,
            control: RunControl = RunControl(), lease: (any TargetLeaseCheck)? = nil
        ) {
            self.pipeline = pipeline
            self.record = record
            self.source = source
            self.recorder = recorder
            self.control = control
            self.lease = lease
        }
    }

    /// Runs the job to its end and returns the final record. Recording errors end the run as failed.
    public func run(_ job: Job) async -> RunRecord {
        var state = RunState(job: job, runner: self)
        do {
            try await state.execute()
        } catch let lost as LeaseLost {
            await state.stopForLostLease(lost)
        } catch {
            state.record.status = .failed
            state.record.error = state.redactor.redact("recording the run failed: \(error)")
            try? await state.finish()
        }
        return state.record
    }
}

/// Receives a run's events and stage log lines as they happen.
public protocol RunObserver: Sendable {
    /// An event was recorded.
    func event(_ event: RunEvent, record: RunRecord)
    /// A stage wrote a log line.
    func log(stage: String, line: String)
}

extension Runner {
    /// Finishes a run whose process died: runs its `on_failure` stages, with the inputs and outputs it
    /// recorded, inside the same record (`recovery` says who and when). `job.record` is the interrupted
    /// record; returns it as it ends (`rolled_back`, or `failed` when an `on_failure` stage failed).
    public func recover(_ job: Job, by: String) async -> RunRecord {
        var state = RunState(job: job, runner: self)
        do {
            try await state.recover(by: by)
        } catch let lost as LeaseLost {
            await state.stopForLostLease(lost)
        } catch {
            state.record.status = .failed
            state.record.error = state.redactor.redact("recording the recovery failed: \(error)")
            try? await state.finish()
        }
        return state.record
    }
}
