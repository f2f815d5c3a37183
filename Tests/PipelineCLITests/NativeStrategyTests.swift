import Foundation
import PipelineAWS
import PipelineTestKit
import PipelineTestSupport
import Testing

/// ECS's own CANARY/LINEAR/BLUE_GREEN deployments, on the project's ECS simulator (moto has no such
/// API: Tests/Support/moto_server.py models it from the API reference, see patch_ecs_native).
@Suite(.serialized) struct NativeStrategyTests {
    typealias Setup = ECSPipelineTests.Setup

    static func setup(strategy: String) async throws -> Setup {
        let s = try await ECSPipelineTests.setup()
        let group = s.fx["canary_target_group_arn"] as! String
        let listener = s.fx["listener_arn"] as! String
        try s.repo.write(
            "pipelines/native.yml",
            """
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: \(s.name)}
            stages:
              - uses: build-task-definition
                id: build
                with: {template: services/web/task-definition.json, image: "registry.example.com/web:${{ commit.sha }}"}
              - uses: register-task-definition
                id: register
              - uses: promote
                id: promote
                with:
                  \(strategy)
                  alternate_target_group: "\(group)"
                  production_listener_rule: "\(listener)"
                  poll_interval: 200ms
                  timeout: 2m
              - uses: alarm-watch
                id: bake
                with: {alarms: [\(s.name)-5xx], bake_time: 1s, poll_interval: 200ms}
            on_failure:
              - uses: rollback
                with: {poll_interval: 200ms, timeout: 1m}
            """)
        try s.repo.commit("native strategy")
        return s
    }

    static func deployments(_ s: Setup) async throws -> [[String: Any]] {
        try await s.fixture("service-deployments", s.name, s.name)["deployments"] as? [[String: Any]] ?? []
    }

    @Test func canaryStrategyIsFollowedToTheEnd() async throws {
        let s = try await Self.setup(
            strategy: "strategy: canary\n      canary_percent: 10\n      canary_bake_time: 2m\n      bake_time: 3m")
        let out = try await s.run(["run", "native"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let all = try await Self.deployments(s)
        #expect(all.count == 1)
        let d = try #require(all.first)
        #expect(d["status"] as? String == "SUCCESSFUL")
        let config = d["deploymentConfiguration"] as? [String: Any] ?? [:]
        #expect(config["strategy"] as? String == "CANARY")
        let canary = config["canaryConfiguration"] as? [String: Any] ?? [:]
        #expect(canary["canaryPercent"] as? Double == 10)
        #expect(canary["canaryBakeTimeInMinutes"] as? Int == 2)
        #expect(config["bakeTimeInMinutes"] as? Int == 3)
        let alarms = config["alarms"] as? [String: Any] ?? [:]
        #expect(alarms["alarmNames"] as? [String] == ["\(s.name)-5xx"])
        #expect(alarms["rollback"] as? Bool == true)
        let log = try await s.run(["logs", "native-1", "--stage", "promote"])
        // The long stages (a look every 200 ms may miss a short one under load).
        for stage in ["PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "SUCCESSFUL"] {
            #expect(log.stdout.contains(stage), "\(stage) not followed: \(log.stdout)")
        }
        let registered = try await s.revisions().first { ($0["arn"] as? String)?.hasSuffix(":2") == true }
        #expect(try await s.service(s.name)["taskDefinition"] as? String == registered?["arn"] as? String)
    }

    @Test func badSettingsExitTwoBeforeAnythingChanges() async throws {
        let s = try await Self.setup(strategy: "strategy: canary")
        let path = s.repo.path + "/pipelines/native.yml"
        let good = try String(contentsOfFile: path, encoding: .utf8)
        for (strategy, message) in [
            ("strategy: canary\n      canary_bake_time: 90s", "whole minutes"),
            ("strategy: red_black", "expected rolling, blue_green, linear or canary"),
            ("strategy: linear\n      linear_step_percent: 1", "between 3.0 and 100"),
        ] {
            try s.repo.write("pipelines/native.yml", good.replacingOccurrences(of: "strategy: canary", with: strategy))
            try s.repo.commit("bad: \(message)")
            let out = try await s.run(["run", "native"])
            #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains(message), "\(out.stderr)")
            #expect(try await Self.deployments(s).isEmpty)
        }
    }

    @Test func anAlarmMidwayStopsTheDeploymentWithRollback() async throws {
        let s = try await Self.setup(
            strategy: "strategy: linear\n      linear_step_percent: 25\n      linear_step_bake_time: 5m")
        let before = try await s.service(s.name)["taskDefinition"] as? String
        let run = try SafetyTests.start(s, ["run", "native"])
        // Looked at with the project's ECS client: a python fixture per look is too slow under load.
        let ecs = ECS(client: s.awsClient)
        #expect(
            await eventually(.seconds(60)) {
                try await ecs.listServiceDeployments(cluster: s.name, service: s.name, status: []).first?.lifecycleStage
                    == "PRODUCTION_TRAFFIC_SHIFT"
            })
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "Threshold Crossed: 5xx during the shift")
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("rolled_back"), "\(out.stdout)")
        let d = try #require(try await Self.deployments(s).first)
        #expect(d["status"] as? String == "ROLLBACK_SUCCESSFUL", "\(d)")
        #expect(d["statusReason"] as? String == "stopped with ROLLBACK by StopServiceDeployment", "\(d)")
        #expect(try await s.service(s.name)["taskDefinition"] as? String == before)
        let show = try await s.run(["show", "native-1", "--json"])
        #expect(show.stdout.contains("service_deployment_arn"), "\(show.stdout)")
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "OK", "recovered")
    }
}
