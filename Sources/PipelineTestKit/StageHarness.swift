import Foundation
import Logging
import PipelineCore

/// Runs one stage in memory as the engine does — input checks, declared-input checks, preflight, then
/// the stage — for stage authors' unit tests.
///
/// ```swift
/// let fake = FakeDeploymentTarget()
/// fake.addService("web", taskDefinition: "web:1", desiredCount: 2)
/// let result = await StageHarness(deploymentTarget: fake).run(MyStage(), inputs: ["count": 2])
/// #expect(result.outputs?["done"] == true)
/// ```
public struct StageHarness: Sendable {
    /// The source tree the stage reads.
    public var source: any SourceTree
    /// The target settings.
    public var target: TargetConfig
    /// The commit.
    public var commit: CommitInfo
    /// Outputs of earlier stages.
    public var outputs: [String: StageOutputs]
    /// The environment.
    public var environment: [String: String]
    /// Services for the stage (e.g. a fake deployment target).
    public var services: ServiceBag
    /// Run history.
    public var history: any RunHistory
    /// The clock the stage waits on.
    public var clock: any Clock<Duration>

    /// A harness; `deploymentTarget` is what `context.deploymentTarget()` returns.
    public init(
        source: any SourceTree = InMemorySourceTree(),
        target: TargetConfig = TargetConfig(settings: ["service": .string("web")]),
        commit: CommitInfo = CommitInfo(
            sha: String(repeating: "a", count: 40), branch: "main", message: "test", author: "Test <t@example.com>"),
        outputs: [String: StageOutputs] = [:], environment: [String: String] = [:], services: ServiceBag = ServiceBag(),
        history: any RunHistory = EmptyRunHistory(), deploymentTarget: (any DeploymentTarget)? = nil,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.source = source
        self.target = target
        self.commit = commit
        self.outputs = outputs
        self.environment = environment
        self.services = services
        self.history = history
        self.clock = clock
        if let deploymentTarget { self.services.set(DeploymentTargetBox(deploymentTarget)) }
    }

    /// The result of one harness run.
    public struct Result: Sendable {
        /// The outputs, or the error thrown (a `PipelineError(.invalidInput)` when the checks refused
        /// the inputs before the stage ran).
        public var outcome: Swift.Result<StageOutputs, any Error>
        /// The stage's log lines.
        public var logs: [String]
        /// The artifacts it saved.
        public var artifacts: InMemoryArtifacts
        /// Whether the stage's `run` was called (false when input checks or preflight refused).
        public var ran: Bool

        /// The outputs, nil when the stage failed.
        public var outputs: StageOutputs? { try? outcome.get() }
        /// The error's description, nil when the stage succeeded.
        public var failure: String? {
            guard case .failure(let error) = outcome else { return nil }
            return (error as? PipelineError)?.description ?? "\(error)"
        }
    }

    /// Checks the inputs as the loader and preflight do; throws `PipelineError(.invalidInput)` listing
    /// every problem.
    public func check(_ stage: any Stage.Type, inputs: [String: InputValue]) throws {
        let descriptor = stage.descriptor
        var problems = descriptor.inputProblems(inputs)
        let values = StageInputs(inputs)
        if problems.isEmpty {
            do {
                try descriptor.checkKnownInputs?(values)
                try stage.preflight(
                    PreflightContext(
                        step: StepInfo(id: "stage", uses: descriptor.name), inputs: values, source: source,
                        scope: scope, target: target))
            } catch let error as PipelineError {
                problems.append(
                    error.diagnostics.isEmpty
                        ? error.message : error.diagnostics.map { "\($0.path): \($0.message)" }.joined(separator: "; "))
            } catch {
                problems.append("\(error)")
            }
        }
        guard problems.isEmpty else {
            throw PipelineError(
                .invalidInput, "stage '\(descriptor.name)': " + problems.joined(separator: "; "),
                diagnostics: problems.map { Diagnostic(location: nil, path: "", message: $0) })
        }
    }

    private var scope: ExpressionScope {
        ExpressionScope(
            commit: commit, pipelineName: "test", runID: "test-1", environment: environment, target: target)
    }

    /// Evaluates `${{ }}` expressions in string inputs (commit, run, env, target, earlier outputs), as
    /// the engine does before a stage runs.
    public func evaluate(_ inputs: [String: InputValue]) throws -> [String: InputValue] {
        let scope = ExpressionScope(
            commit: commit, pipelineName: "test", runID: "test-1", environment: environment, outputs: outputs,
            target: target)
        func walk(_ value: InputValue) throws -> InputValue {
            switch value {
            case .string(let text) where text.contains("${{"): return try Template(parsing: text).evaluate(in: scope)
            case .list(let items): return .list(try items.map(walk))
            case .map(let fields): return .map(try fields.mapValues(walk))
            default: return value
            }
        }
        return try inputs.mapValues(walk)
    }

    /// Evaluates and checks the inputs, then runs the stage once with them.
    public func run(
        _ stage: any Stage, inputs raw: [String: InputValue], failure: FailureInfo? = nil, dryRun: Bool = false
    ) async -> Result {
        let recorder = InMemoryRecorder()
        let artifacts = InMemoryArtifacts()
        let inputs: [String: InputValue]
        do {
            inputs = try evaluate(raw)
            try check(type(of: stage), inputs: inputs)
        } catch {
            return Result(outcome: .failure(error), logs: [], artifacts: artifacts, ran: false)
        }
        let sink = recorder.log(stage: "stage")
        let redactor = Redactor(environment: environment)
        let logger = Logger(label: "harness") { _ in StageLogHandler(sink: sink, redactor: redactor) }
        var services = services
        if dryRun, let box = services.get(DeploymentTargetBox.self) {
            services.set(DeploymentTargetBox(ReadOnlyTarget(box.target)))
        }
        let context = StageContext(
            step: StepInfo(id: "stage", uses: type(of: stage).descriptor.name), inputs: StageInputs(inputs),
            target: target, outputs: outputs, commit: commit,
            run: RunInfo(id: "test-1", pipeline: "test", trigger: "manual"), failure: failure, logger: logger,
            clock: clock, source: source, artifacts: artifacts, history: history,
            environment: environment, isDryRun: dryRun, services: services)
        let outcome: Swift.Result<StageOutputs, any Error>
        do { outcome = .success(try await stage.run(context)) } catch { outcome = .failure(error) }
        return Result(outcome: outcome, logs: recorder.logLines("stage"), artifacts: artifacts, ran: true)
    }
}
