import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

/// A weighted canary on the fake target: listener weights in steps, then back as they were.
@Suite struct WeightedCanaryTests {
    static let original = [WeightedTarget(targetGroup: "tg-main", weight: nil)]

    func fake() -> FakeDeploymentTarget {
        let fake = webTarget()
        fake.setTargetGroups("web", ["tg-main"])
        fake.addRoute("listener-1", listenerDefault: true, forward: Self.original)
        fake.addRoute("rule-7", forward: Self.original)
        fake.addRoute("rule-other", forward: [WeightedTarget(targetGroup: "tg-api", weight: nil)])
        return fake
    }

    let inputs: [String: InputValue] = merged(
        fast,
        [
            "task_definition": "web:2", "canary_target_group": "tg-canary", "traffic": ["5", "25", "50"],
            "step_bake": "1ms",
        ])

    @Test func stepsShiftEveryRouteToTheMainGroupAndRecordHowItWas() async throws {
        let fake = fake()
        let result = await harness(fake).run(CanaryDeployStage(), inputs: inputs)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(
            fake.weightChanges == [
                "listener-1 tg-main=95 tg-canary=5", "rule-7 tg-main=95 tg-canary=5",
                "listener-1 tg-main=75 tg-canary=25", "rule-7 tg-main=75 tg-canary=25",
                "listener-1 tg-main=50 tg-canary=50", "rule-7 tg-main=50 tg-canary=50",
            ])
        #expect(fake.route("rule-other")?.forward == [WeightedTarget(targetGroup: "tg-api", weight: nil)])
        #expect(try await fake.service("web-canary")?.targetGroups == ["tg-canary"])
        guard case .string(let text)? = result.outputs?[CanaryDeployStage.Outputs.trafficRoutes] else {
            Issue.record("no traffic_routes output")
            return
        }
        let recorded = try TrafficRoute.decode(text)
        #expect(recorded.map(\.id) == ["listener-1", "rule-7"])
        #expect(recorded.allSatisfy { $0.forward == Self.original })
        #expect(result.outputs?[CanaryDeployStage.Outputs.canaryWeight] == .number(50))
        #expect(result.logs.contains { $0.contains("traffic step 2/3: main 75%, canary 25%") })
    }

    func canaryOutputs(_ fake: FakeDeploymentTarget) async throws -> [String: StageOutputs] {
        let routes = try await fake.trafficRoutes(targetGroup: "tg-main")
        for route in routes {
            try await fake.setTraffic(
                route,
                to: [
                    WeightedTarget(targetGroup: "tg-main", weight: 50),
                    WeightedTarget(targetGroup: "tg-canary", weight: 50),
                ])
        }
        return ["canary": [CanaryDeployStage.Outputs.trafficRoutes.rawValue: .string(try TrafficRoute.encode(routes))]]
    }

    @Test func promoteRestoresTheRoutesBeforeTheCanaryGoes() async throws {
        let fake = fake()
        fake.addService("web-canary", taskDefinition: "web:2", desiredCount: 1)
        let outputs = try await canaryOutputs(fake)
        let result = await harness(fake, outputs: outputs).run(
            PromoteStage(), inputs: merged(fast, ["task_definition": "web:2"]))
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(fake.route("listener-1")?.forward == Self.original)
        #expect(fake.route("rule-7")?.forward == Self.original)
        let calls = fake.calls
        let restored = try #require(calls.lastIndex { $0.hasPrefix("setTraffic") })
        let scaled = try #require(calls.firstIndex(of: "updateService web-canary"))
        #expect(restored < scaled, "\(calls)")
    }

    @Test func rollbackRestoresTheRoutesExactly() async throws {
        let fake = fake()
        fake.addService("web-canary", taskDefinition: "web:2", desiredCount: 1)
        let outputs = try await canaryOutputs(fake)
        let result = await harness(fake, outputs: outputs).run(RollbackStage(), inputs: fast)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(fake.route("listener-1")?.forward == Self.original)
        #expect(fake.route("rule-7")?.forward == Self.original)
        #expect(try await fake.service("web-canary")?.desiredCount == 0)
        #expect(result.logs.contains { $0.contains("put 2 listener route(s) back as they were") })
    }

    @Test func badSettingsAreRefusedBeforeAnythingChanges() async throws {
        for (extra, message) in [
            (["traffic": ["5", "200"]] as [String: InputValue], "not a percentage"),
            (["traffic": ["25", "5"]], "must rise"),
        ] {
            let fake = fake()
            let result = await harness(fake).run(CanaryDeployStage(), inputs: merged(inputs, extra))
            #expect(result.failure?.contains(message) == true, "\(result.failure ?? "")")
            #expect(fake.calls.isEmpty)
        }
        let fake = fake()
        var noGroup = inputs
        noGroup["canary_target_group"] = nil
        let result = await harness(fake).run(CanaryDeployStage(), inputs: noGroup)
        #expect(result.failure?.contains("needs with.canary_target_group") == true, "\(result.failure ?? "")")
        #expect(fake.calls.isEmpty)
    }
}
