import Foundation
import Synchronization

/// Lets a signal handler cancel a run from outside: the running stage is cancelled and `on_failure` runs;
/// or, on a hard stop, have the runner record the run as interrupted before the process exits.
public final class RunControl: Sendable {
    private struct State {
        var cancelReason: String?
        var failure: (stage: String, message: String)?
        var current: Task<StageOutputs, any Error>?
        var record: RunRecord?
        var recorder: (any RunRecorder)?
        var observer: (any RunObserver)?
        var interrupted = false
    }

    private let state = Mutex(State())

    /// Where the run's stages wait for operators' requests.
    public let desk = OperatorDesk()

    /// A control with nothing requested.
    public init() {}

    /// An operator's request from outside the process: `abort` cancels the run (its `on_failure` runs, as
    /// on Ctrl-C), the others go to the stage waiting for them. The answer is recorded as an event that
    /// carries the request, which is how the asking process learns it.
    @discardableResult
    public func deliver(_ request: OperatorRequest) -> (answer: OperatorAnswer, reason: String) {
        let (record, recorder, observer) = state.withLock { s in
            (s.interrupted ? nil : s.record, s.recorder, s.observer)
        }
        let running = record.map { !$0.status.isFinal } ?? false
        var result: (answer: OperatorAnswer, reason: String)
        if !running {
            result = (.ignored, "the run is not running")
        } else if request.kind == .abort {
            cancel(reason: "aborted by \(request.by)\(request.comment.map { ": \($0)" } ?? "")")
            result = (.taken, "taken")
        } else {
            result = desk.deliver(request)
        }
        if let recorder, let record {
            let message = result.answer == .taken ? request.summary : "\(request.summary) — ignored: \(result.reason)"
            let event = RunEvent(
                .operatorRequest, run: record.id, status: result.answer.rawValue, message: message, request: request)
            try? recorder.append(event)
            observer?.event(event, record: record)
        }
        return result
    }

    /// Cancels the run: no further main stage starts and the running one is cancelled.
    public func cancel(reason: String) {
        let task = state.withLock { state -> Task<StageOutputs, any Error>? in
            if state.cancelReason == nil { state.cancelReason = reason }
            return state.current
        }
        task?.cancel()
    }

    /// Fails the stage `stage` with `message` (the alarm guard's finding) while it runs: it is cancelled
    /// and recorded as failed, and `on_failure` runs. A failure for a stage that already ended is dropped.
    public func fail(_ message: String, stage: String) {
        let task = state.withLock { state -> Task<StageOutputs, any Error>? in
            if state.failure == nil { state.failure = (stage, message) }
            return state.current
        }
        task?.cancel()
    }

    /// Takes the failure `fail` set for `stage`, if any; one set for another stage is dropped.
    func takeFailure(stage: String) -> String? {
        state.withLock { s in
            defer { s.failure = nil }
            return s.failure?.stage == stage ? s.failure?.message : nil
        }
    }

    /// Why the run was cancelled, if it was.
    public var cancelReason: String? { state.withLock { $0.cancelReason } }

    /// The newest state of the run record, for writing it out on a hard stop.
    public var latestRecord: RunRecord? { state.withLock { $0.record } }

    func update(_ record: RunRecord) { state.withLock { $0.record = record } }

    /// The runner's recorder, for `interrupt`.
    func attach(_ recorder: any RunRecorder, observer: (any RunObserver)? = nil) {
        state.withLock {
            $0.recorder = recorder
            $0.observer = observer
        }
    }

    /// A hard stop (a second signal): the runner records the run as `interrupted` — running stages
    /// `cancelled`, the reason as its error — and nothing more is written for it by this process. The
    /// caller exits right after; a later engine recovers the run (its `on_failure` has not finished).
    /// Returns the recorded run, nil when no run is going.
    @discardableResult
    public func interrupt(reason: String) -> RunRecord? {
        let (record, recorder) = state.withLock { s -> (RunRecord?, (any RunRecorder)?) in
            guard !s.interrupted, var record = s.record, record.status == .running else {
                return (nil, nil)
            }
            s.interrupted = true
            record.status = .interrupted
            record.error = "stopped by \(reason) before the run ended"
            record.endedAt = Date()
            for i in record.stages.indices where record.stages[i].status.isActive {
                record.stages[i].status = .cancelled
                record.stages[i].error = "interrupted by \(reason)"
            }
            s.record = record
            return (record, s.recorder)
        }
        guard let record, let recorder else { return nil }
        try? recorder.write(record)
        try? recorder.append(
            RunEvent(.runFinished, run: record.id, status: RunStatus.interrupted.rawValue, message: record.error))
        return record
    }

    /// Registers the running stage's task; cancels it at once if the run is already cancelled
    /// and `cancellable` is true (main stages; `on_failure` stages keep running).
    func setCurrent(_ task: Task<StageOutputs, any Error>?, cancellable: Bool) {
        let cancelNow = state.withLock { state -> Bool in
            state.current = cancellable ? task : nil
            return cancellable && state.cancelReason != nil
        }
        if cancelNow { task?.cancel() }
    }
}
