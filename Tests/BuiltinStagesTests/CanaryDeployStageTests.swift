import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct CanaryDeployStageTests {
    let inputs: [String: InputValue] = merged(fast, ["task_definition": "web:2"])

    @Test func createsTheCanaryAsACopyOfTheMainService() async throws {
        let fake = webTarget()
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure == nil)
        #expect(fake.calls == ["createService web-canary"])
        let canary = try #require(try await fake.service("web-canary"))
        #expect(canary.taskDefinition == "web:2")
        #expect(canary.desiredCount == 1)
        #expect(result.outputs?[CanaryDeployStage.Outputs.previousTaskDefinitionARN] == "web:1")
    }

    @Test func updatesAnExistingCanaryAndWaitsForItsDeployment() async throws {
        let fake = webTarget()
        fake.addService("web-canary", taskDefinition: "web:1", desiredCount: 0)
        fake.script("web-canary", .completesAfter(looks: 3))
        let result = await harness(fake).run(
            CanaryDeployStage(), inputs: merged(inputs, ["desired_number_of_canary_tasks_to_run": 2]))
        #expect(result.failure == nil)
        #expect(fake.calls == ["updateService web-canary"])
        #expect(try await fake.service("web-canary")?.runningCount == 2)
        #expect(result.logs.contains { $0.contains("IN_PROGRESS") })
    }

    @Test func takesTheRegisteredRevisionFromAnEarlierStage() async throws {
        let fake = webTarget()
        let registered: StageOutputs = [RegisterTaskDefinitionStage.Outputs.taskDefinitionARN.rawValue: "web:7"]
        let result = await harness(fake, outputs: ["register": registered]).run(CanaryDeployStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(try await fake.service("web-canary")?.taskDefinition == "web:7")
    }

    @Test func withoutARevisionToDeployItFails() async {
        let result = await harness(webTarget()).run(CanaryDeployStage(), inputs: fast)
        #expect(result.failure?.contains("no task definition to deploy") == true)
    }

    @Test func aMissingMainServiceFails() async {
        let fake = FakeDeploymentTarget()
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure?.contains("service web does not exist") == true)
        #expect(fake.calls.isEmpty)
    }

    @Test func aStoppedTaskFailsAtOnceWithItsReason() async {
        let fake = webTarget()
        fake.script("web-canary", .taskStops(reason: "Essential container in task exited (exit 3)"))
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure?.contains("Essential container in task exited (exit 3)") == true)
    }

    @Test func aFailedDeploymentFailsWithECSReason() async {
        let fake = webTarget()
        fake.script("web-canary", .fails(reason: "circuit breaker tripped"))
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure?.contains("FAILED: circuit breaker tripped") == true)
    }

    @Test func aCanaryThatNeverGetsReadyTimesOut() async {
        let fake = webTarget()
        fake.script("web-canary", .staysInProgress)
        let result = await harness(fake).run(CanaryDeployStage(), inputs: merged(inputs, ["timeout": "30ms"]))
        #expect(result.failure?.contains("timed out after") == true)
    }

    @Test func aBriefBrownoutIsRiddenOut() async throws {
        let fake = webTarget()
        fake.brownout("service", times: 3)
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(result.logs.contains { $0.contains("fake brownout") })
        #expect(try await fake.service("web-canary")?.taskDefinition == "web:2")
    }

    @Test func aLongOutageFailsTheStage() async {
        let fake = webTarget()
        fake.brownout("service", times: 50)
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure?.contains("fake brownout") == true)
        #expect(fake.calls.isEmpty)
    }

    @Test func aDryRunChangesNothing() async {
        let fake = webTarget()
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs, dryRun: true)
        #expect(result.failure == nil)
        #expect(fake.calls.isEmpty)
        #expect(result.logs.contains { $0.contains("would create web-canary") })
    }

    @Test func zeroCanaryTasksIsRefusedBeforeRunning() async {
        let result = await harness(webTarget()).run(
            CanaryDeployStage(), inputs: merged(inputs, ["desired_number_of_canary_tasks_to_run": 0]))
        #expect(!result.ran)
        #expect(result.failure?.contains("with.desired_number_of_canary_tasks_to_run: must be at least 1") == true)
    }

    @Test func unknownInputsAreRefusedAsTheLoaderDoes() async {
        let result = await harness(webTarget()).run(CanaryDeployStage(), inputs: ["tiemout": "5s"])
        #expect(!result.ran)
        #expect(result.failure?.contains("with.tiemout: unknown input") == true)
    }
}
