import Logging

/// Everything a stage receives for one run.
public struct StageContext: Sendable {
    /// This step's id and `uses:` name.
    public var step: StepInfo
    /// The evaluated `with:` inputs.
    public var inputs: StageInputs
    /// The pipeline's target settings.
    public var target: TargetConfig
    /// Outputs of the stages that ran before this one, by stage id.
    public var outputs: [String: StageOutputs]
    /// The commit being deployed.
    public var commit: CommitInfo
    /// The run this stage belongs to.
    public var run: RunInfo
    /// Set when the stage runs under `on_failure`: which stage failed and why.
    public var failure: FailureInfo?
    /// Writes to this stage's log file (and the live progress).
    public var logger: Logger
    /// The clock to wait on; sleeping on it honours cancellation.
    public var clock: any Clock<Duration>
    /// The files of the commit being deployed.
    public var source: any SourceTree
    /// Saves files into the run's `artifacts/` folder.
    public var artifacts: any ArtifactSink
    /// Earlier runs of this pipeline.
    public var history: any RunHistory
    /// The environment of the engine process.
    public var environment: [String: String]
    /// True for `pipeline run --dry-run`: describe, change nothing.
    public var isDryRun: Bool
    /// Extra services a provider or the CLI makes available (e.g. a deployment target), by key.
    public var services: ServiceBag
    /// The step's evaluated `env:` (for executable plugins).
    public var stepEnvironment: [String: String] = [:]
    /// The step's `pass_aws_credentials:`.
    public var passAWSCredentials = false
    /// Where `checkpoint` records outputs (the engine's run record; nil: nowhere, e.g. a bare test).
    public var checkpointHandler: (@Sendable (StageOutputs) async throws -> Void)?
    /// Where operators' requests reach this stage (the engine's run control; nil: none can, e.g. a bare test).
    public var operatorDesk: OperatorDesk?
    /// Marks the stage `waiting` (true) or `running` again (false) in the run record, with a message.
    public var waitingHandler: (@Sendable (Bool, String) async throws -> Void)?

    /// A context (the engine and `StageHarness` make them).
    public init(
        step: StepInfo, inputs: StageInputs, target: TargetConfig, outputs: [String: StageOutputs],
        commit: CommitInfo, run: RunInfo, failure: FailureInfo?, logger: Logger, clock: any Clock<Duration>,
        source: any SourceTree, artifacts: any ArtifactSink, history: any RunHistory,
        environment: [String: String], isDryRun: Bool, services: ServiceBag = ServiceBag()
    ) {
        self.step = step
        self.inputs = inputs
        self.target = target
        self.outputs = outputs
        self.commit = commit
        self.run = run
        self.failure = failure
        self.logger = logger
        self.clock = clock
        self.source = source
        self.artifacts = artifacts
        self.history = history
        self.environment = environment
        self.isDryRun = isDryRun
        self.services = services
    }

    /// Records outputs now, before the change they describe, so that `on_failure` and the recovery of
    /// a run whose process died can undo that change even if this stage never returns (e.g. the
    /// traffic routes a weighted canary is about to change). They are durable when this returns, and
    /// they stay in the stage's record whether it succeeds or fails; what it returns is added on top.
    public func checkpoint(_ outputs: StageOutputs) async throws {
        try await checkpointHandler?(outputs)
    }

    /// Sleeps on the context's clock; throws `CancellationError` when the stage is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await clock.sleep(for: duration, tolerance: nil)
    }

    /// The scope in which `${{ }}` expressions in files this stage reads are evaluated.
    public var expressionScope: ExpressionScope {
        ExpressionScope(
            commit: commit, pipelineName: run.pipeline, runID: run.id, environment: environment, outputs: outputs,
            target: target)
    }
}

/// A step's identity.
public struct StepInfo: Sendable, Hashable, Codable {
    /// The step's id.
    public var id: String
    /// The stage name it runs.
    public var uses: String
    /// A step.
    public init(id: String, uses: String) {
        self.id = id
        self.uses = uses
    }
}

/// The run a stage belongs to.
public struct RunInfo: Sendable, Hashable, Codable {
    /// `PIPELINE-N`.
    public var id: String
    /// The pipeline's name.
    public var pipeline: String
    /// `manual` or `push`.
    public var trigger: String
    /// A run.
    public init(id: String, pipeline: String, trigger: String) {
        self.id = id
        self.pipeline = pipeline
        self.trigger = trigger
    }
}

/// Which stage failed and why, given to `on_failure` stages.
public struct FailureInfo: Sendable, Hashable, Codable {
    /// The id of the stage that failed (or was cancelled).
    public var stage: String
    /// Why.
    public var message: String
    /// A failure.
    public init(stage: String, message: String) {
        self.stage = stage
        self.message = message
    }
}

/// A typed bag of services shared with stages, keyed by type.
public struct ServiceBag: Sendable {
    private var storage: [ObjectIdentifier: any Sendable] = [:]
    /// An empty bag.
    public init() {}
    /// Stores a service under its type.
    public mutating func set<T: Sendable>(_ value: T, as type: T.Type = T.self) {
        storage[ObjectIdentifier(type)] = value
    }
    /// The service of a type, if present.
    public func get<T: Sendable>(_ type: T.Type) -> T? { storage[ObjectIdentifier(type)] as? T }
}
