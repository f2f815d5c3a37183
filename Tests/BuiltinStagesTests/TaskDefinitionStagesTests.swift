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

/// What real task definition files hold (issue 13).
@Suite struct RealTaskDefinitionTests {
    static func render(_ text: String, file: String = "td.json", inputs: [String: InputValue] = [:]) async
        -> StageHarness.Result
    {
        let source = InMemorySourceTree(files: [file: text], description: "test")
        return await harness(webTarget(), source: source).run(
            BuildTaskDefinitionStage(), inputs: merged(["template": .string(file)], inputs))
    }

    static func document(_ result: StageHarness.Result) -> JSONValue? {
        guard let data = try? result.artifacts.load(BuildTaskDefinitionStage.artifactName) else { return nil }
        return try? JSONValue.parse(data)
    }

    static func fargate(cpu: String, memory: String) -> String {
        """
        {"family": "f", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": \(cpu),
         "memory": \(memory), "containerDefinitions": [{"name": "a", "image": "i", "essential": true}]}
        """
    }

    @Test(arguments: [
        ("\"1 vCPU\"", "\"3GB\""), ("\"1024\"", "\"3 GB\""), ("1024", "3072"), ("\"1 vcpu\"", "\"3gb\""),
        ("\".25 vCPU\"", "\"512\""), ("\"0.25 vcpu\"", "\"0.5GB\""),
    ])
    func everyFormECSTakesForFargateSizes(cpu: String, memory: String) async {
        let result = await Self.render(Self.fargate(cpu: cpu, memory: memory))
        #expect(result.failure == nil, "\(cpu) \(memory): \(result.failure ?? "")")
    }

    @Test func anUnreadableSizeSaysWhatItCannotRead() async {
        let result = await Self.render(Self.fargate(cpu: "\"1 core\"", memory: "\"3GB\""))
        #expect(result.failure?.contains("cannot read '1 core'") == true, "\(result.failure ?? "")")
        #expect(result.failure?.contains("need task-level cpu and memory") == false)
    }

    @Test func severalEssentialContainersNeedAName() async {
        let text = """
            {"family": "f", "containerDefinitions": [
              {"name": "envoy", "image": "e", "essential": true, "memory": 64},
              {"name": "app", "image": "x", "essential": true, "memory": 64}]}
            """
        let refused = await Self.render(text, inputs: ["image": "repo/app:1"])
        #expect(!refused.ran)
        #expect(
            refused.failure?.contains("with.container is needed: 2 containers of td.json are essential (envoy, app)")
                == true)
        let named = await Self.render(text, inputs: ["image": "repo/app:1", "container": "app"])
        #expect(named.failure == nil)
        let document = Self.document(named)
        #expect(document?["containerDefinitions"]?.arrayValue?[1]["image"] == .string("repo/app:1"))
        #expect(document?["containerDefinitions"]?.arrayValue?[0]["image"] == .string("e"))
    }

    @Test func describeOutputIsUnwrappedAndReadOnlyFieldsDropped() async {
        let text = """
            {"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/f:3", "revision": 3,
              "status": "ACTIVE", "family": "f", "compatibilities": ["EC2"], "registeredAt": "2024-01-01T00:00:00Z",
              "registeredBy": "arn:aws:iam::1:user/x", "requiresAttributes": [{"name": "a"}],
              "containerDefinitions": [{"name": "a", "image": "i", "essential": true, "memory": 64}]},
             "tags": [{"key": "team", "value": "t"}]}
            """
        let result = await Self.render(text)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        let warnings = result.logs.filter { $0.contains("describe-task-definition") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("revision") == true)
        let document = Self.document(result)
        #expect(document?["revision"] == nil && document?["taskDefinitionArn"] == nil)
        #expect(document?["tags"]?.arrayValue?.first?["key"] == .string("team"))
    }

    @Test func yamlNumbersBecomeStringsWhereTheAPIWantsThem() async {
        let text = """
            family: f
            cpu: 256
            memory: 512
            containerDefinitions:
              - name: a
                image: i
                memory: 64
                environment: [{name: N, value: 4}, {name: B, value: true}]
                dockerLabels: {tier: 2}
            """
        let result = await Self.render(text, file: "td.yaml")
        #expect(result.failure == nil, "\(result.failure ?? "")")
        let document = Self.document(result)
        #expect(document?["cpu"] == .string("256"))
        #expect(document?["memory"] == .string("512"))
        let container = document?["containerDefinitions"]?.arrayValue?.first
        #expect(container?["memory"] == .int(64))
        #expect(container?["environment"]?.arrayValue?.map { $0["value"] } == [.string("4"), .string("true")])
        #expect(container?["dockerLabels"]?["tier"] == .string("2"))
    }
}

@Suite struct TaskDefinitionDiffTests {
    @Test func aUnifiedDiffNamesTheContainerAndFieldWithContext() throws {
        let old = try JSONValue.parse(
            Data(
                #"{"family": "w", "containerDefinitions": [{"name": "envoy", "image": "e:1"}, {"name": "app", "image": "a:1", "cpu": 1, "memory": 2, "user": "u"}]}"#
                    .utf8))
        var new = old
        if case .object(var top) = new, case .array(var containers)? = top["containerDefinitions"],
            case .object(var app) = containers[1]
        {
            app["image"] = .string("a:2")
            containers[1] = .object(app)
            top["containerDefinitions"] = .array(containers)
            new = .object(top)
        }
        let diff = TaskDefinitionDiff.unified(old: old, new: new, oldLabel: "running", newLabel: "commit")
        let lines = diff.split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == ["--- running", "+++ commit"])
        #expect(
            lines.contains { $0.hasPrefix("@@ -") && $0.hasSuffix("@@ containerDefinitions[app].image") }, "\(diff)")
        #expect(lines.contains(#"-       "image": "a:1","#))
        #expect(lines.contains(#"+       "image": "a:2","#))
        #expect(lines.filter { $0.hasPrefix("  ") }.count == 6, "3 lines of context each side:\n\(diff)")
        #expect(TaskDefinitionDiff.unified(old: old, new: old, oldLabel: "a", newLabel: "b").isEmpty)
    }
}
