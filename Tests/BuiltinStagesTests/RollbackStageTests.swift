import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct RollbackStageTests {
    @Test func returnsToTheRevisionTheLastPromotedRunDeployed() async throws {
        let fake = webTarget()
        _ = try await fake.updateService("web", ServiceUpdate(taskDefinition: "web:3"))
        fake.addService("web-canary", taskDefinition: "web:3", desiredCount: 1)
        let promoted: StageOutputs = [
            PromoteStage.Outputs.deploymentID.rawValue: "dep-1",
            PromoteStage.Outputs.taskDefinitionARN.rawValue: "web:2",
        ]
        let history = FixedHistory(outputs: ["promote": promoted])
        let result = await harness(fake, history: history).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.taskDefinition == "web:2")
        #expect(try await fake.service("web-canary")?.desiredCount == 0)
        #expect(result.outputs?[RollbackStage.Outputs.rolledBackTo] == "web:2")
        #expect(result.logs.contains { $0.contains("the last succeeded run") })
    }

    @Test func withoutHistoryItReturnsToWhatTheServiceRanBeforeThisRun() async throws {
        let fake = webTarget()
        _ = try await fake.updateService("web", ServiceUpdate(taskDefinition: "web:3"))
        let canary: StageOutputs = [CanaryDeployStage.Outputs.previousTaskDefinitionARN.rawValue: "web:1"]
        let result = await harness(fake, outputs: ["canary": canary]).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.taskDefinition == "web:1")
    }

    @Test func anExplicitRevisionWins() async throws {
        let fake = webTarget()
        let result = await harness(fake).run(RollbackStage(), inputs: merged(fast, ["to": "web:0"]))
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.taskDefinition == "web:0")
    }

    @Test func aSettledServiceOnTheRevisionIsLeftAlone() async {
        let fake = webTarget()
        let result = await harness(fake).run(RollbackStage(), inputs: merged(fast, ["to": "web:1"]))
        #expect(result.failure == nil)
        #expect(fake.calls.isEmpty)
        #expect(result.logs.contains { $0.contains("nothing to change") })
    }

    @Test func nothingDeployedMeansNothingToRollBack() async {
        let fake = webTarget()
        let result = await harness(fake).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(result.outputs?[RollbackStage.Outputs.rolledBackTo] == "")
        #expect(fake.calls.isEmpty)
    }

    @Test func aMissingServiceFails() async {
        let result = await harness(FakeDeploymentTarget()).run(RollbackStage(), inputs: merged(fast, ["to": "web:1"]))
        #expect(result.failure?.contains("does not exist") == true)
    }

    @Test func aRollbackThatDoesNotGetHealthyFails() async {
        let fake = webTarget()
        fake.script("web", .taskStops(reason: "CannotPullContainerError"))
        let result = await harness(fake).run(RollbackStage(), inputs: merged(fast, ["to": "web:0"]))
        #expect(result.failure?.contains("CannotPullContainerError") == true)
    }

    @Test func itSaysWhichStageFailed() async {
        let result = await harness(webTarget()).run(
            RollbackStage(), inputs: fast, failure: FailureInfo(stage: "bake", message: "alarm web-5xx"))
        #expect(result.logs.contains { $0.contains("rolling back after 'bake' failed: alarm web-5xx") })
    }

    @Test func aDryRunChangesNothing() async throws {
        let fake = webTarget()
        fake.addService("web-canary", taskDefinition: "web:2", desiredCount: 1)
        let result = await harness(fake).run(RollbackStage(), inputs: merged(fast, ["to": "web:0"]), dryRun: true)
        #expect(result.failure == nil)
        #expect(fake.calls.isEmpty)
        #expect(result.logs.contains { $0.contains("would scale web-canary to 0") })
    }
}
