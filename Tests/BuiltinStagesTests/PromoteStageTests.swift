import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct PromoteStageTests {
    let inputs: [String: InputValue] = merged(fast, ["task_definition": "web:2"])

    @Test func rollsTheMainServiceThenScalesTheCanaryToZero() async throws {
        let fake = webTarget()
        fake.addService("web-canary", taskDefinition: "web:2", desiredCount: 1)
        fake.script("web", .completesAfter(looks: 2))
        let result = await harness(fake).run(PromoteStage(), inputs: inputs)
        #expect(result.failure == nil)
        #expect(fake.calls == ["updateService web", "updateService web-canary", "tagTaskDefinition web:2"])
        // The promoted revision carries the known-good tags: a machine without history finds it.
        let tags = fake.tags(of: "web:2")
        #expect(tags[KnownGoodTags.run] == "test-1")
        #expect(tags[KnownGoodTags.promotedAt].flatMap(Timestamp.parse) != nil)
        #expect(tags[KnownGoodTags.commit] != nil)
        #expect(try await fake.service("web")?.taskDefinition == "web:2")
        #expect(try await fake.service("web-canary")?.desiredCount == 0)
        #expect(result.outputs?[PromoteStage.Outputs.taskDefinitionARN] == "web:2")
        #expect(result.outputs?[PromoteStage.Outputs.deploymentID]?.description.isEmpty == false)
    }

    @Test func aCurrentRevisionIsRedeployedSoFreshTasksAreJudged() async throws {
        let fake = webTarget()
        let before = try await fake.service("web")?.primary?.id
        let result = await harness(fake).run(PromoteStage(), inputs: merged(fast, ["task_definition": "web:1"]))
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.primary?.id != before)
    }

    @Test func desiredCountIsApplied() async throws {
        let fake = webTarget()
        let result = await harness(fake).run(PromoteStage(), inputs: merged(inputs, ["desired_count": 5]))
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.desiredCount == 5)
    }

    @Test func aFailedDeploymentFailsTheStage() async {
        let fake = webTarget()
        fake.script("web", .fails(reason: "tasks failed to start"))
        let result = await harness(fake).run(PromoteStage(), inputs: inputs)
        #expect(result.failure?.contains("tasks failed to start") == true)
    }

    @Test func aTimeoutNamesWhatWasSeen() async {
        let fake = webTarget()
        fake.script("web", .staysInProgress)
        let result = await harness(fake).run(PromoteStage(), inputs: merged(inputs, ["timeout": "30ms"]))
        #expect(result.failure?.contains("timed out") == true)
        #expect(result.failure?.contains("IN_PROGRESS") == true)
    }

    @Test(arguments: [
        (
            ["deployment_maximum_percent": InputValue.number(50)],
            "with.deployment_maximum_percent: must be at least 100"
        ),
        (["deployment_minimum_healthy_percent": .number(150)], "must be between 0 and 100"),
        (["desired_count": .number(-1)], "with.desired_count: must be at least 0"),
        (["deployment_circuit_breaker": .map(["enabel": .bool(true)])], "unknown key enabel"),
    ])
    func badSettingsAreRefusedBeforeAnythingChanges(extra: [String: InputValue], message: String) async {
        let fake = webTarget()
        let result = await harness(fake).run(PromoteStage(), inputs: merged(inputs, extra))
        #expect(!result.ran)
        #expect(result.failure?.contains(message) == true, "\(result.failure ?? "")")
        #expect(fake.calls.isEmpty)
    }

    @Test func aDryRunChangesNothing() async {
        let fake = webTarget()
        let result = await harness(fake).run(PromoteStage(), inputs: inputs, dryRun: true)
        #expect(result.failure == nil)
        #expect(fake.calls.isEmpty)
        #expect(result.logs.contains { $0.contains("would update web to web:2") })
    }
}
