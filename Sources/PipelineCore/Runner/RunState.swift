import Foundation
import Logging

/// The mutable state of one run while the runner drives it.
struct RunState {
    let job: Runner.Job
    let runner: Runner
    let redactor: Redactor
    var record: RunRecord
    /// Services for stages: the runner's, plus the alarm guard once taken.
    var services: ServiceBag
    /// True once a stage that changes the target has started.
    var changed = false
    var alarmGuard: AlarmGuard?
    private let started = ContinuousClock.now
    private var lastWrite: ContinuousClock.Instant?
    /// `run.json` is rewritten at most this often while stages run; `events.jsonl` has every change.
    static let snapshotInterval: Duration = .milliseconds(250)

    init(job: Runner.Job, runner: Runner) {
        self.job = job
        self.runner = runner
        self.record = job.record
        self.services = runner.services
        self.redactor = Redactor(environment: runner.environment)
    }

    mutating func execute() async throws {
        job.control.attach(job.recorder, observer: runner.observer)
        record.status = .running
        try save(force: true)
        try emit(RunEvent(.runStarted, run: record.id, message: "\(record.pipeline) at \(record.commit.shortSHA)"))
        var failure: FailureInfo?
        let window = SafetyWindow(pipeline: job.pipeline, registry: runner.registry)
        for (index, step) in job.pipeline.stages.enumerated() {
            if let reason = job.control.cancelReason {
                failure = failure ?? FailureInfo(stage: step.id, message: "run cancelled (\(reason)) before this stage")
                markSkipped(from: index)
                break
            }
            if !changed, window.changesTarget(step), !record.dryRun {
                if let problem = await takeAlarmBaseline() {
                    failure = FailureInfo(stage: step.id, message: problem)
                    record.stages[index].status = .failed
                    record.stages[index].error = redactor.redact(problem)
                    try emit(
                        RunEvent(.stageFinished, run: record.id, stage: step.id, status: "failed", message: problem))
                    markSkipped(from: index + 1)
                    break
                }
                changed = true
            }
            let guarded = window.isGuarded(index) && !record.dryRun ? alarmGuard : nil
            if window.opens(at: index), let alarmGuard {
                let label = runner.registry.resolve(step.uses)?.descriptor.safety.exposureLabel
                alarmGuard.openWindow(label: label ?? "stage \(step.id)")
            }
            let ok = try await runStep(step, index: index, failure: nil, cancellable: true, guarded: guarded)
            if !ok {
                failure = FailureInfo(stage: step.id, message: record.stages[index].error ?? "failed")
                markSkipped(from: index + 1)
                break
            }
        }
        guard let failure else {
            record.status = .succeeded
            try await finish()
            return
        }
        record.error = "stage '\(failure.stage)' failed: \(failure.message)"
        if job.pipeline.onFailure.isEmpty {
            record.status = .failed
            try await finish()
            return
        }
        try emit(RunEvent(.onFailureStarted, run: record.id, stage: failure.stage, message: failure.message))
        let recovered = try await runOnFailure(failure, window: window)
        record.status = recovered ? .rolledBack : .failed
        try await finish()
    }

    /// Runs the `on_failure` stages; those that change the target are skipped when nothing changed yet.
    /// Returns whether the run was rolled back: every one that ran succeeded, and not every one was
    /// skipped for having nothing to undo (then the run simply failed).
    mutating func runOnFailure(_ failure: FailureInfo, window: SafetyWindow) async throws -> Bool {
        var allRecovered = true
        var ran = 0
        let offset = job.pipeline.stages.count
        for (i, step) in job.pipeline.onFailure.enumerated() {
            if !changed, window.changesTarget(step) {
                record.stages[offset + i].status = .skipped
                record.stages[offset + i].error = "nothing was changed before the failure: nothing to undo"
                try emit(
                    RunEvent(
                        .stageFinished, run: record.id, stage: step.id, status: StageStatus.skipped.rawValue,
                        message: record.stages[offset + i].error))
                continue
            }
            let ok = try await runStep(step, index: offset + i, failure: failure, cancellable: false, guarded: nil)
            allRecovered = allRecovered && ok
            ran += 1
        }
        return allRecovered && ran > 0
    }

    /// Finishes a run whose process died: runs its `on_failure` stages with the inputs and outputs it
    /// recorded, inside the same record.
    mutating func recover(by: String) async throws {
        let window = SafetyWindow(pipeline: job.pipeline, registry: runner.registry)
        let offset = job.pipeline.stages.count
        changed = job.pipeline.stages.enumerated().contains { i, step in
            window.changesTarget(step) && ![.pending, .skipped].contains(record.stages[i].status)
        }
        let interrupted = record.stages.enumerated().first { i, stage in
            i < offset && [.running, .waiting, .cancelled].contains(stage.status)
        }
        let note =
            changed
            ? "the process that ran it (pid \(record.pid), \(record.startedBy)) died during stage '\(interrupted?.element.id ?? "?")'; running on_failure"
            : "the process that ran it (pid \(record.pid)) died before the run changed anything"
        record.recovery = RecoveryInfo(by: by, startedAt: Date(), note: note)
        for i in record.stages.indices where i < offset && record.stages[i].status.isActive {
            record.stages[i].status = .cancelled
            record.stages[i].error = "interrupted: the process died"
        }
        for i in offset..<record.stages.count {
            record.stages[i] = StageRecord(id: record.stages[i].id, uses: record.stages[i].uses, phase: "on_failure")
        }
        record.status = .running
        record.error = "stage '\(interrupted?.element.id ?? "?")' was interrupted: the process died; recovered by \(by)"
        try save(force: true)
        try emit(RunEvent(.recoveryStarted, run: record.id, message: note))
        let failure = FailureInfo(
            stage: interrupted?.element.id ?? job.pipeline.stages.first?.id ?? "",
            message: "interrupted: the process died")
        let recovered = try await runOnFailure(failure, window: window)
        record.status = recovered ? .rolledBack : .failed
        record.recovery?.endedAt = Date()
        try await finish()
    }

    /// Takes the alarm baseline before the first change; returns a problem that stops the run (nothing changed).
    private mutating func takeAlarmBaseline() async -> String? {
        guard let target = services.get(DeploymentTargetBox.self)?.target else { return nil }
        let scope = ExpressionScope(
            commit: record.commit, pipelineName: record.pipeline, runID: record.id, environment: runner.environment,
            outputs: record.outputs, target: job.pipeline.target)
        let specs: [AlarmWatchSpec]
        do {
            specs = try job.pipeline.watchedAlarms(registry: runner.registry, scope: scope)
        } catch let error as WatchedAlarmsError {
            return "\(error.step): \(Self.describe(error.underlying))"
        } catch {
            return Self.describe(error)
        }
        guard !specs.isEmpty else { return nil }
        let recorder = job.recorder
        let observer = runner.observer
        let runID = record.id
        let current = record
        do {
            let taken = try await AlarmGuard.take(
                target: target, specs: specs, clock: runner.clock,
                note: { message in
                    let event = RunEvent(.note, run: runID, message: message)
                    try? recorder.append(event)
                    observer?.event(event, record: current)
                })
            alarmGuard = taken
            services.set(AlarmGuardBox(taken))
            record.alarmBaseline = taken.entries
            let summary = taken.entries.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            try? emit(RunEvent(.note, run: record.id, message: "alarm baseline: \(summary)"))
            return nil
        } catch {
            return Self.describe(error)
        }
    }

    mutating func finish() async throws {
        record.endedAt = Date()
        record.durationMs = (ContinuousClock.now - started).milliseconds
        job.control.update(record)
        try job.recorder.write(record)
        try emit(
            RunEvent(
                .runFinished, run: record.id, status: record.status.rawValue, message: record.error,
                durationMs: record.durationMs))
        try await job.recorder.flush()
    }

    /// The run lost its target's lock: it stops here, recorded as `interrupted` (what it wrote may be
    /// refused: the next holder owns the record now), and the next holder recovers it.
    mutating func stopForLostLease(_ lost: LeaseLost) async {
        record.status = .interrupted
        record.error = redactor.redact("stopped without touching the target: \(lost.reason)")
        for i in record.stages.indices where record.stages[i].status.isActive {
            record.stages[i].status = .cancelled
            record.stages[i].error = "the lease was lost"
        }
        try? await finish()
    }

    /// Before a stage that changes the target: confirms this process still holds the target's lease.
    private func confirmLease(_ step: Step) async throws {
        guard let lease = job.lease, !record.dryRun,
            runner.registry.resolve(step.uses)?.descriptor.safety.changesTarget == true
        else { return }
        try await lease.confirm()
    }

    private mutating func markSkipped(from index: Int) {
        for i in index..<job.pipeline.stages.count { record.stages[i].status = .skipped }
    }

    private func emit(_ event: RunEvent) throws {
        try job.recorder.append(event)
        runner.observer?.event(event, record: record)
    }

    /// Updates the in-memory copy for signal handlers, and `run.json` when forced or when the last
    /// snapshot is older than `snapshotInterval` (readers replay `events.jsonl` for the rest).
    private mutating func save(force: Bool = false) throws {
        job.control.update(record)
        let now = ContinuousClock.now
        if force || lastWrite.map({ now - $0 >= Self.snapshotInterval }) ?? true {
            try job.recorder.write(record)
            lastWrite = now
        }
    }

    /// Runs one step; returns whether it succeeded.
    private mutating func runStep(
        _ step: Step, index: Int, failure: FailureInfo?, cancellable: Bool, guarded: AlarmGuard?
    ) async throws -> Bool {
        try await confirmLease(step)
        let stageStart = ContinuousClock.now
        record.stages[index].status = .running
        record.stages[index].startedAt = Date()
        // A buffering recorder flushes next: the record it sends must say which stage is running.
        try save(force: job.recorder.buffersWrites)
        try emit(RunEvent(.stageStarted, run: record.id, stage: step.id, message: step.uses))
        try await job.recorder.flush()

        let meter = CallMeter()
        var outcome = await CallMeter.$current.withValue(meter) {
            await attempt(step, failure: failure, cancellable: cancellable, guarded: guarded)
        }
        if case .success = outcome, let guarded, let found = try? await guarded.check() {
            // Fired while this stage ran, between two looks of the monitor.
            outcome = .failure(.failed, found.message)
        }
        let duration = (ContinuousClock.now - stageStart).milliseconds
        record.stages[index].endedAt = Date()
        record.stages[index].durationMs = duration
        let calls = meter.snapshot
        record.stages[index].apiCalls = calls.isEmpty ? nil : calls
        let checkpointed = job.control.latestRecord.map { $0.stages[index].outputs } ?? [:]
        record.stages[index].outputs = checkpointed
        switch outcome {
        case .success(let outputs):
            record.stages[index].status = .succeeded
            record.stages[index].outputs = checkpointed.merging(outputs) { _, new in new }
        case .failure(let status, let message):
            record.stages[index].status = status
            record.stages[index].error = redactor.redact(message)
        }
        try save()
        try emit(
            RunEvent(
                .stageFinished, run: record.id, stage: step.id, status: record.stages[index].status.rawValue,
                message: record.stages[index].error, durationMs: duration,
                outputs: record.stages[index].outputs.isEmpty ? nil : record.stages[index].outputs,
                apiCalls: record.stages[index].apiCalls))
        if case .success = outcome { return true }
        return false
    }

    private enum Outcome {
        case success(StageOutputs)
        case failure(StageStatus, String)
    }

    private func attempt(_ step: Step, failure: FailureInfo?, cancellable: Bool, guarded: AlarmGuard?) async
        -> Outcome
    {
        guard let entry = runner.registry.resolve(step.uses) else {
            return .failure(.failed, "unknown stage '\(step.uses)'")
        }
        let scope = ExpressionScope(
            commit: record.commit, pipelineName: record.pipeline, runID: record.id, environment: runner.environment,
            outputs: record.outputs, target: job.pipeline.target)
        var inputs: [String: InputValue] = [:]
        for (key, node) in step.with {
            do {
                inputs[key] = try node.evaluate(in: scope)
            } catch {
                return .failure(.failed, "with.\(key): \(error.message)")
            }
        }
        if let specs = entry.descriptor.inputs {
            for spec in specs {
                if let value = inputs[spec.name], let problem = spec.check(value) {
                    return .failure(.failed, "with.\(spec.name): \(problem)")
                }
            }
        }
        var context = makeContext(step, inputs: StageInputs(inputs), failure: failure, scope: scope)
        context.checkpointHandler = checkpointHandler(for: step.id)
        context.operatorDesk = job.control.desk
        context.waitingHandler = waitingHandler(for: step.id)
        for (key, node) in step.env {
            do {
                context.stepEnvironment[key] = try node.evaluate(in: scope).scalarString ?? ""
            } catch {
                return .failure(.failed, "env.\(key): \(error.message)")
            }
        }
        context.passAWSCredentials = step.passAWSCredentials
        let stage = entry.make()
        let timeout = step.timeout
        let clock = runner.clock
        let task = Task<StageOutputs, any Error> {
            try await Self.run(stage, context, timeout: timeout, clock: clock)
        }
        job.control.setCurrent(task, cancellable: cancellable)
        let stageID = step.id
        let monitor = guarded.map { alarmGuard in
            Task { [control = job.control] in
                // Looks soon after the stage starts its change, then further apart, up to the poll interval.
                var backoff = Backoff(ceiling: alarmGuard.pollInterval)
                while !Task.isCancelled {
                    try await clock.sleep(for: backoff.next(), tolerance: nil)
                    if let found = try? await alarmGuard.check(), !Task.isCancelled {
                        control.fail(found.message, stage: stageID)
                        return
                    }
                }
            }
        }
        let result = await task.result
        monitor?.cancel()
        job.control.setCurrent(nil, cancellable: cancellable)
        if let message = job.control.takeFailure(stage: stageID) { return .failure(.failed, message) }
        switch result {
        case .success(let outputs):
            return .success(redactor.redact(outputs))
        case .failure(let error as StageTimeout):
            return .failure(.timedOut, "timed out after \(DurationFormat.format(error.limit))")
        case .failure(is CancellationError):
            return .failure(.cancelled, "cancelled (\(job.control.cancelReason ?? "run cancelled"))")
        case .failure(let error):
            if task.isCancelled, let reason = job.control.cancelReason {
                return .failure(.cancelled, "cancelled (\(reason)): \(Self.describe(error))")
            }
            return .failure(.failed, Self.describe(error))
        }
    }

    /// Writes a stage's checkpointed outputs into the record (the signal handlers' copy too) and makes
    /// them durable before the stage goes on.
    private func checkpointHandler(for stageID: String) -> @Sendable (StageOutputs) async throws -> Void {
        let (control, recorder, redactor) = (job.control, job.recorder, redactor)
        return { outputs in
            guard var record = control.latestRecord, let i = record.stages.firstIndex(where: { $0.id == stageID })
            else { return }
            record.stages[i].outputs.merge(redactor.redact(outputs)) { _, new in new }
            control.update(record)
            try recorder.write(record)
            try await recorder.flush()
        }
    }

    /// Records the stage as `waiting` for an operator, or `running` again, durably and for the observer.
    private func waitingHandler(for stageID: String) -> @Sendable (Bool, String) async throws -> Void {
        let (control, recorder, observer, redactor) = (job.control, job.recorder, runner.observer, redactor)
        return { waiting, message in
            guard var record = control.latestRecord, let i = record.stages.firstIndex(where: { $0.id == stageID })
            else { return }
            record.stages[i].status = waiting ? .waiting : .running
            control.update(record)
            try recorder.write(record)
            let event = RunEvent(
                .stageWaiting, run: record.id, stage: stageID, status: record.stages[i].status.rawValue,
                message: redactor.redact(message))
            try recorder.append(event)
            observer?.event(event, record: record)
            try await recorder.flush()
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as StageFailure: return e.message
        case let e as PipelineError: return e.description
        case let e as CustomStringConvertible: return e.description
        default: return String(describing: error)
        }
    }

    private func makeContext(_ step: Step, inputs: StageInputs, failure: FailureInfo?, scope: ExpressionScope)
        -> StageContext
    {
        let sink = job.recorder.log(stage: step.id)
        let observer = runner.observer
        let stageID = step.id
        let redactor = self.redactor
        let echo: (@Sendable (String) -> Void)?
        if let observer {
            echo = { line in observer.log(stage: stageID, line: line) }
        } else {
            echo = nil
        }
        var logger = Logger(label: "pipeline.stage.\(step.id)") { _ -> any LogHandler in
            StageLogHandler(sink: sink, redactor: redactor, echo: echo)
        }
        logger.logLevel = .debug
        return StageContext(
            step: StepInfo(id: step.id, uses: step.uses), inputs: inputs, target: job.pipeline.target,
            outputs: record.outputs, commit: record.commit,
            run: RunInfo(id: record.id, pipeline: record.pipeline, trigger: record.trigger), failure: failure,
            logger: logger, clock: runner.clock, source: job.source,
            artifacts: RedactingArtifacts(base: job.recorder.artifacts, redactor: redactor),
            history: runner.history, environment: runner.environment, isDryRun: record.dryRun,
            services: services)
    }

    private static func run(_ stage: any Stage, _ context: StageContext, timeout: Duration?, clock: any Clock<Duration>)
        async throws -> StageOutputs
    {
        guard let timeout else { return try await stage.run(context) }
        return try await withThrowingTaskGroup(of: StageOutputs.self) { group in
            group.addTask { try await stage.run(context) }
            group.addTask {
                try await clock.sleep(for: timeout, tolerance: nil)
                throw StageTimeout(limit: timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// Thrown when a stage runs past its `timeout:`.
struct StageTimeout: Error {
    let limit: Duration
}
