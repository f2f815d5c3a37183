import Foundation
import Logging

/// The mutable state of one run while the runner drives it.
struct RunState {
    let job: Runner.Job
    let runner: Runner
    let redactor: Redactor
    var record: RunRecord
    private let started = ContinuousClock.now
    private var lastWrite: ContinuousClock.Instant?
    /// `run.json` is rewritten at most this often while stages run; `events.jsonl` has every change.
    static let snapshotInterval: Duration = .milliseconds(250)

    init(job: Runner.Job, runner: Runner) {
        self.job = job
        self.runner = runner
        self.record = job.record
        self.redactor = Redactor(environment: runner.environment)
    }

    mutating func execute() async throws {
        record.status = .running
        try save(force: true)
        try emit(RunEvent(.runStarted, run: record.id, message: "\(record.pipeline) at \(record.commit.shortSHA)"))
        var failure: FailureInfo?
        for (index, step) in job.pipeline.stages.enumerated() {
            if let reason = job.control.cancelReason {
                failure = failure ?? FailureInfo(stage: step.id, message: "run cancelled (\(reason)) before this stage")
                markSkipped(from: index)
                break
            }
            let ok = try await runStep(step, index: index, failure: nil, cancellable: true)
            if !ok {
                failure = FailureInfo(stage: step.id, message: record.stages[index].error ?? "failed")
                markSkipped(from: index + 1)
                break
            }
        }
        guard let failure else {
            record.status = .succeeded
            try finish()
            return
        }
        record.error = "stage '\(failure.stage)' failed: \(failure.message)"
        if job.pipeline.onFailure.isEmpty {
            record.status = .failed
            try finish()
            return
        }
        try emit(RunEvent(.onFailureStarted, run: record.id, stage: failure.stage, message: failure.message))
        var allRecovered = true
        let offset = job.pipeline.stages.count
        for (i, step) in job.pipeline.onFailure.enumerated() {
            let ok = try await runStep(step, index: offset + i, failure: failure, cancellable: false)
            allRecovered = allRecovered && ok
        }
        record.status = allRecovered ? .rolledBack : .failed
        try finish()
    }

    mutating func finish() throws {
        record.endedAt = Date()
        record.durationMs = (ContinuousClock.now - started).milliseconds
        job.control.update(record)
        try job.recorder.write(record)
        try emit(
            RunEvent(
                .runFinished, run: record.id, status: record.status.rawValue, message: record.error,
                durationMs: record.durationMs))
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
    private mutating func runStep(_ step: Step, index: Int, failure: FailureInfo?, cancellable: Bool) async throws
        -> Bool
    {
        let stageStart = ContinuousClock.now
        record.stages[index].status = .running
        record.stages[index].startedAt = Date()
        try save()
        try emit(RunEvent(.stageStarted, run: record.id, stage: step.id, message: step.uses))

        let outcome = await attempt(step, failure: failure, cancellable: cancellable)
        let duration = (ContinuousClock.now - stageStart).milliseconds
        record.stages[index].endedAt = Date()
        record.stages[index].durationMs = duration
        switch outcome {
        case .success(let outputs):
            record.stages[index].status = .succeeded
            record.stages[index].outputs = outputs
        case .failure(let status, let message):
            record.stages[index].status = status
            record.stages[index].error = redactor.redact(message)
        }
        try save()
        try emit(
            RunEvent(
                .stageFinished, run: record.id, stage: step.id, status: record.stages[index].status.rawValue,
                message: record.stages[index].error, durationMs: duration,
                outputs: record.stages[index].outputs.isEmpty ? nil : record.stages[index].outputs))
        if case .success = outcome { return true }
        return false
    }

    private enum Outcome {
        case success(StageOutputs)
        case failure(StageStatus, String)
    }

    private func attempt(_ step: Step, failure: FailureInfo?, cancellable: Bool) async -> Outcome {
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
        let result = await task.result
        job.control.setCurrent(nil, cancellable: cancellable)
        switch result {
        case .success(let outputs):
            return .success(
                outputs.mapValues { value in
                    if case .string(let s) = value { return .string(redactor.redact(s)) }
                    return value
                })
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
            logger: logger, clock: runner.clock, source: job.source, artifacts: job.recorder.artifacts,
            history: runner.history, environment: runner.environment, isDryRun: record.dryRun,
            services: runner.services)
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
