import Foundation
import PipelineAWS
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Weighted canaries on moto's ELBv2 and the simulated ECS: the listener's forward weights move in
/// steps and end as they were, whatever ends the run.
extension ECSPipelineTests.Setup {
    /// The project's AWS client on the simulator: quick looks from a test (a python process per look
    /// is too slow to see short steps under load).
    var awsClient: AWSClient {
        AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", endpointOverride: moto.endpoint, environment: [:]),
            credentials: EnvironmentCredentials(
                environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"]))
    }
}

@Suite(.serialized) struct WeightedTrafficTests {
    typealias Setup = ECSPipelineTests.Setup

    /// The fixture's pipeline with a weighted canary.
    static func setup(traffic: String, stepBake: String, bake: String = "1s") async throws -> Setup {
        let s = try await ECSPipelineTests.setup(bake: bake)
        let path = s.repo.path + "/pipelines/web.yml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let group = s.fx["canary_target_group_arn"] as! String
        try s.repo.write(
            "pipelines/web.yml",
            text.replacingOccurrences(
                of: "with: {poll_interval: 200ms, timeout: 30s}\n  - uses: alarm-watch",
                with:
                    "with: {poll_interval: 200ms, timeout: 30s, canary_target_group: \"\(group)\", traffic: \(traffic), step_bake: \(stepBake)}\n  - uses: alarm-watch"
            ))
        try s.repo.commit("weighted canary")
        return s
    }

    /// The listener's forward as (main weight, canary weight); a plain forward to main is (100, 0).
    /// Read with the project's ELBv2 client (a python fixture per look would miss short steps).
    static func weights(_ s: Setup) async throws -> (Int, Int)? {
        let elb = ELBv2(client: s.awsClient)
        let actions = try await elb.describeListenerActions(arn: s.fx["listener_arn"] as! String)
        guard let forward = actions.last else { return nil }
        let main = s.fx["target_group_arn"] as! String
        let canary = s.fx["canary_target_group_arn"] as! String
        if forward.forward.isEmpty { return forward.targetGroupArn == main ? (100, 0) : nil }
        if forward.forward.count == 1, forward.forward[0].targetGroupArn == main, forward.forward[0].weight == nil {
            return (100, 0)
        }
        func weight(_ arn: String) -> Int { forward.forward.first { $0.targetGroupArn == arn }?.weight ?? 0 }
        return (weight(main), weight(canary))
    }

    /// Polls the listener while `run` goes, collecting each new weight pair.
    static func watch(
        _ s: Setup, _ run: ProcessRunner.Running, until: ((Int, Int)) async throws -> Bool = { _ in false }
    )
        async throws -> [String]
    {
        var seen: [String] = []
        while run.process.isRunning {
            if let (main, canary) = try? await weights(s) {
                let text = "\(main)/\(canary)"
                if seen.last != text { seen.append(text) }
                if try await until((main, canary)) { break }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return seen
    }

    @Test func weightsMoveInStepsAndEndAsTheyWere() async throws {
        let s = try await Self.setup(traffic: "[5, 25, 50, 100]", stepBake: "5s")
        let run = try SafetyTests.start(s, ["run", "web"])
        let seen = try await Self.watch(s, run)
        let out = await offThread { run.wait() }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        // Seen from outside, in order (a look can miss a step when this machine is loaded: every step
        // the engine set is in its log, written after ModifyListener answered).
        let expected = ["95/5", "75/25", "50/50", "0/100"]
        let steps = seen.filter { $0 != "100/0" }
        #expect(steps.count >= 2 && steps.allSatisfy(expected.contains), "\(seen)")
        #expect(steps == expected.filter(steps.contains), "out of order: \(seen)")
        #expect(seen.first == "100/0", "\(seen)")
        let log = try await s.run(["logs", "web-1", "--stage", "canary"])
        let logged = log.stdout.split(separator: "\n").filter { $0.contains("traffic step") }.map { line in
            line.components(separatedBy: "main ").last.map { text in
                text.replacingOccurrences(of: "%, canary ", with: "/").components(separatedBy: "%").first ?? ""
            } ?? ""
        }
        #expect(logged == expected, "\(log.stdout)")
        // And as it was once the run ended: a plain forward to the main target group.
        #expect(try await Self.weights(s).map { "\($0.0)/\($0.1)" } == "100/0")
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        let raw = try await s.fixture("listener", s.fx["listener_arn"] as! String)["raw"] as? [[String: Any]]
        #expect(raw?.first?["TargetGroupArn"] as? String == s.fx["target_group_arn"] as? String, "\(raw ?? [])")
    }

    @Test func anAlarmInStepTwoPutsTheOriginalActionBack() async throws {
        let s = try await Self.setup(traffic: "[5, 25, 50]", stepBake: "6s")
        let run = try SafetyTests.start(s, ["run", "web"])
        let seen = try await Self.watch(s, run) { pair in pair == (75, 25) }
        #expect(seen.last == "75/25", "\(seen)")
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "Threshold Crossed: canary 5xx at 25%")
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("rolled_back"), "\(out.stdout)")
        #expect(try await Self.weights(s).map { "\($0.0)/\($0.1)" } == "100/0")
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "OK", "recovered")
    }

    @Test func killNineDuringAStepIsRecoveredWithTheOriginalAction() async throws {
        let s = try await Self.setup(traffic: "[10, 30]", stepBake: "30s")
        let run = try SafetyTests.start(s, ["run", "web"])
        let seen = try await Self.watch(s, run) { pair in pair == (90, 10) }
        #expect(seen.last == "90/10", "\(seen)")
        run.signal(SIGKILL)
        _ = await offThread { run.wait() }
        #expect(try await Self.weights(s).map { "\($0.0)/\($0.1)" } == "90/10")
        let recover = try await s.run(["recover"])
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        #expect(try await Self.weights(s).map { "\($0.0)/\($0.1)" } == "100/0")
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        let show = try await s.run(["show", "web-1", "--json"])
        #expect(show.stdout.contains("traffic_routes"), "\(show.stdout)")
    }
}
