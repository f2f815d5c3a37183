import Foundation
import Logging
import PipelineCore

/// Runs one stage in memory with given inputs, for stage authors' unit tests.
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

    public init(
        source: any SourceTree = InMemorySourceTree(),
        target: TargetConfig = TargetConfig(settings: ["service": .string("web")]),
        commit: CommitInfo = CommitInfo(
            sha: String(repeating: "a", count: 40), branch: "main", message: "test", author: "Test <t@example.com>"),
        outputs: [String: StageOutputs] = [:], environment: [String: String] = [:], services: ServiceBag = ServiceBag(),
        history: any RunHistory = EmptyRunHistory()
    ) {
        self.source = source
        self.target = target
        self.commit = commit
        self.outputs = outputs
        self.environment = environment
        self.services = services
        self.history = history
    }

    /// The result of one harness run.
    public struct Result: Sendable {
        /// The outputs, or the error thrown.
        public var outcome: Swift.Result<StageOutputs, any Error>
        /// The stage's log lines.
        public var logs: [String]
        /// The artifacts it saved.
        public var artifacts: InMemoryArtifacts
    }

    /// Runs a stage once with the given inputs.
    public func run(
        _ stage: any Stage, inputs: [String: InputValue], failure: FailureInfo? = nil, dryRun: Bool = false
    ) async -> Result {
        let recorder = InMemoryRecorder()
        let sink = recorder.log(stage: "stage")
        let redactor = Redactor(environment: environment)
        let logger = Logger(label: "harness") { _ in StageLogHandler(sink: sink, redactor: redactor) }
        let artifacts = InMemoryArtifacts()
        let context = StageContext(
            step: StepInfo(id: "stage", uses: type(of: stage).descriptor.name), inputs: StageInputs(inputs),
            target: target, outputs: outputs, commit: commit,
            run: RunInfo(id: "test-1", pipeline: "test", trigger: "manual"), failure: failure, logger: logger,
            clock: ContinuousClock(), source: source, artifacts: artifacts, history: history,
            environment: environment, isDryRun: dryRun, services: services)
        let outcome: Swift.Result<StageOutputs, any Error>
        do { outcome = .success(try await stage.run(context)) } catch { outcome = .failure(error) }
        return Result(outcome: outcome, logs: recorder.logLines("stage"), artifacts: artifacts)
    }
}
