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

    /// No history (a fresh machine): the revision last tagged as promoted, by another run — not
    /// revision−1 (a failed run registered it), nor this run's own.
    @Test func withoutHistoryTheLastPromotedTagWinsNeverRevisionMinusOne() async throws {
        let fake = webTarget()
        var arns: [String] = []
        for _ in 1...4 {
            arns.append(try await fake.registerTaskDefinition(.object(["family": .string("web")]), tags: [:]).arn)
        }
        try await fake.tagTaskDefinition(
            arns[0], tags: [KnownGoodTags.promotedAt: "2026-11-20T10:00:00.000Z", KnownGoodTags.run: "web-1"])
        try await fake.tagTaskDefinition(
            arns[1], tags: [KnownGoodTags.promotedAt: "2026-11-21T10:00:00.000Z", KnownGoodTags.run: "web-2"])
        // arns[2] was registered by a run that failed: never tagged. arns[3] is this run's, promoted then failed.
        try await fake.tagTaskDefinition(
            arns[3],
            tags: [
                KnownGoodTags.promotedAt: "2026-11-22T10:00:00.000Z", KnownGoodTags.run: "test-1",
                KnownGoodTags.commit: String(repeating: "a", count: 40),
            ])
        // Another machine's state folder also numbered a run test-1: its revision (other commit) counts.
        try await fake.tagTaskDefinition(
            arns[1],
            tags: [KnownGoodTags.promotedAt: "2026-11-21T10:00:00.000Z", KnownGoodTags.run: "test-1"])
        _ = try await fake.updateService("web", ServiceUpdate(taskDefinition: arns[3]))
        let canary: StageOutputs = [CanaryDeployStage.Outputs.previousTaskDefinitionARN.rawValue: .string(arns[2])]
        let result = await harness(fake, outputs: ["canary": canary]).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.taskDefinition == arns[1])
        #expect(result.logs.contains { $0.contains("tagged as promoted by test-1") }, "\(result.logs)")
    }

    /// A promotion that a later rollback undid (its run was killed after promote, then recovered) does
    /// not count; and a rollback marks the revision it leaves.
    @Test func aRolledBackPromotionDoesNotCount() async throws {
        let fake = webTarget()
        var arns: [String] = []
        for _ in 1...3 {
            arns.append(try await fake.registerTaskDefinition(.object(["family": .string("web")]), tags: [:]).arn)
        }
        try await fake.tagTaskDefinition(arns[0], tags: [KnownGoodTags.promotedAt: "2026-11-20T10:00:00.000Z"])
        try await fake.tagTaskDefinition(
            arns[1],
            tags: [
                KnownGoodTags.promotedAt: "2026-11-21T10:00:00.000Z",
                KnownGoodTags.rolledBackAt: "2026-11-21T10:00:05.000Z",
            ])
        _ = try await fake.updateService("web", ServiceUpdate(taskDefinition: arns[2]))
        let result = await harness(fake).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil)
        #expect(try await fake.service("web")?.taskDefinition == arns[0])
        #expect(fake.tags(of: arns[2])[KnownGoodTags.rolledBackAt] != nil)
        #expect(fake.tags(of: arns[0])[KnownGoodTags.run] == "test-1")
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
