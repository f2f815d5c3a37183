import BuiltinStages
import Foundation
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct TaskDefinitionStagesTests {
    static let template = """
        {"family": "web", "containerDefinitions": [
          {"name": "app", "image": "placeholder", "essential": true, "memory": 128}]}
        """

    func built(_ fake: FakeDeploymentTarget) async throws -> (StageHarness, InMemoryArtifacts) {
        let source = InMemorySourceTree(files: ["td.json": Self.template], description: "test")
        let h = harness(fake, source: source)
        let result = await h.run(
            BuildTaskDefinitionStage(), inputs: ["template": "td.json", "image": "repo/web:${{ commit.sha }}"])
        #expect(result.failure == nil)
        return (h, result.artifacts)
    }

    @Test func buildRendersTheImageIntoTheArtifact() async throws {
        let (_, artifacts) = try await built(webTarget())
        let data = try #require(try artifacts.load(BuildTaskDefinitionStage.artifactName))
        let document = try JSONValue.parse(data)
        let image = document["containerDefinitions"]?.arrayValue?.first?["image"]?.stringValue
        #expect(image == "repo/web:" + String(repeating: "a", count: 40))
    }

    @Test func buildWithoutTheTemplateIsRefused() async {
        let result = await harness(webTarget()).run(BuildTaskDefinitionStage(), inputs: ["template": "missing.json"])
        #expect(!result.ran)
        #expect(result.failure?.contains("missing.json") == true)
    }

    @Test func registerRegistersThenReusesAnIdenticalRevision() async throws {
        let fake = webTarget()
        let document = try JSONValue.parse(Data(Self.template.utf8))
        let artifacts = InMemoryArtifacts()
        try artifacts.save(BuildTaskDefinitionStage.artifactName, data: Data(document.prettyText().utf8))
        let first = try await RegisterTaskDefinitionStage().run(Self.context(fake, artifacts))
        #expect(first[RegisterTaskDefinitionStage.Outputs.reused] == false)
        let second = try await RegisterTaskDefinitionStage().run(Self.context(fake, artifacts))
        #expect(second[RegisterTaskDefinitionStage.Outputs.reused] == true)
        #expect(
            second[RegisterTaskDefinitionStage.Outputs.taskDefinitionARN]
                == first[RegisterTaskDefinitionStage.Outputs.taskDefinitionARN])
        #expect(fake.calls == ["registerTaskDefinition"])
    }

    @Test func registerWithoutTheArtifactFails() async {
        let result = await harness(webTarget()).run(RegisterTaskDefinitionStage(), inputs: [:])
        #expect(result.failure?.contains("no artifact task-definition.json") == true)
    }

    @Test func waitWaitsAndSaysSoInADryRun() async {
        let result = await harness(webTarget()).run(WaitStage(), inputs: ["duration": "10ms"])
        #expect(result.outputs?[WaitStage.Outputs.waitedMilliseconds] == 10)
        let dry = await harness(webTarget()).run(WaitStage(), inputs: ["duration": "1h"], dryRun: true)
        #expect(dry.outputs?[WaitStage.Outputs.waitedMilliseconds] == 0)
        let missing = await harness(webTarget()).run(WaitStage(), inputs: [:])
        #expect(missing.failure?.contains("with.duration: is required") == true)
    }

    /// A context whose artifacts carry over between two stage runs.
    static func context(_ fake: FakeDeploymentTarget, _ artifacts: InMemoryArtifacts) -> StageContext {
        var services = ServiceBag()
        services.set(DeploymentTargetBox(fake))
        return StageContext(
            step: StepInfo(id: "register", uses: "register-task-definition"), inputs: StageInputs(),
            target: TargetConfig(settings: ["service": "web"]), outputs: [:],
            commit: CommitInfo(sha: String(repeating: "a", count: 40), branch: "main", message: "m", author: "a"),
            run: RunInfo(id: "t-1", pipeline: "t", trigger: "manual"), failure: nil,
            logger: .init(label: "test"), clock: ContinuousClock(), source: InMemorySourceTree(), artifacts: artifacts,
            history: EmptyRunHistory(), environment: [:], isDryRun: false, services: services)
    }
}
