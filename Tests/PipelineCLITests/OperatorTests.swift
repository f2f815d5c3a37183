import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Operators in the loop, from a second process: approve, reject, abort and skip-bake, on the local
/// provider (a state folder) and on the simulated ECS with the state in moto's S3 (a second "machine").
@Suite(.serialized) struct OperatorTests {
    typealias Fixture = LocalProviderTests.Fixture

    static let approvalStages = """
          - {uses: canary-deploy, id: canary, with: {timeout: 1m, poll_interval: 500ms}}
          - {uses: alarm-watch, id: bake, with: {alarms: [SERVICE-canary-5xx], bake_time: 10m, poll_interval: 500ms}}
          - {uses: approval, id: gate, with: {approvers: [alice], timeout: 10m}}
          - uses: promote
            with: {deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50, timeout: 2m, poll_interval: 500ms}
        """

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    static func stage(_ record: [String: Any], _ id: String) -> [String: Any] {
        ((record["stages"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == id } ?? [:]
    }

    /// `show RUN --json` as the given CLI sees it.
    static func show(_ run: @escaping @Sendable ([String]) async throws -> ProcessRunner.Output, _ id: String)
        async throws -> [String: Any]
    {
        json(try await run(["show", id, "--json"]).stdout)
    }

    /// Runs the CLI against the fixture's state as `actor` (`PIPELINE_ACTOR`).
    static func asActor(_ actor: String, _ f: Fixture, _ arguments: [String]) async throws -> ProcessRunner.Output {
        var cli = f.cli
        cli.environment["PIPELINE_ACTOR"] = actor
        return try await offThread { [cli, state = f.state] in
            try ProcessRunner.run(
                CLI.testkitBinary, arguments + ["--state-dir", state], cwd: cli.cwd, environment: cli.environment)
        }
    }

    @Test func localSkipBakeThenApprovalByAnApproverOnly() async throws {
        let f = try Fixture(
            service: "gated", stages: Self.approvalStages.replacingOccurrences(of: "SERVICE", with: "gated"))
        defer { f.stop() }
        let started = ContinuousClock.now
        let run = try ProcessRunner.start(
            CLI.testkitBinary, ["run", "gated", "--state-dir", f.state], cwd: f.repo.path,
            environment: f.cli.environment)
        let ask: @Sendable ([String]) async throws -> ProcessRunner.Output = {
            try await f.cli($0 + ["--state-dir", f.state])
        }
        #expect(await eventually(.seconds(60)) { run.stdoutSoFar.contains("stage bake started") }, "\(run.stdoutSoFar)")
        // Approving while nothing waits is refused before anything is written.
        let early = try await ask(["approve", "gated-1"])
        #expect(early.status == 2, "\(early.stdout)\(early.stderr)")
        #expect(early.stderr.contains("no stage of gated-1 is waiting for approval"), "\(early.stderr)")
        let skip = try await ask(["skip-bake", "gated-1", "--comment", "seen enough"])
        #expect(skip.status == 0, "\(skip.stdout)\(skip.stderr)")
        #expect(skip.stdout.contains("skip-bake by"), "\(skip.stdout)")
        // The approval waits, recorded as such.
        #expect(
            await eventually(.seconds(30)) {
                Self.stage(try await Self.show(ask, "gated-1"), "gate")["status"] as? String == "waiting"
            })
        // `status --watch` in a terminal redraws the live view: the waiting approval with its timer,
        // canary tasks healthy/desired, traffic weights, alarms.
        let pty = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/pty_run.py").path
        let drawn = try await offThread { [cwd = f.repo.path, env = f.cli.environment, state = f.state] in
            try ProcessRunner.run(
                "python3",
                [
                    pty, "4", CLI.testkitBinary, "status", "gated", "--watch", "--interval", "500ms", "--state-dir",
                    state,
                ],
                cwd: cwd, environment: env)
        }
        #expect(drawn.stdout.components(separatedBy: "\u{1B}[H\u{1B}[2J").count >= 3, "\(drawn.stdout)")
        #expect(drawn.stdout.contains("⏸ gate  waiting"), "\(drawn.stdout)")
        #expect(drawn.stdout.contains("waiting: waiting for approval by alice"), "\(drawn.stdout)")
        #expect(drawn.stdout.contains("gated-canary: "), "\(drawn.stdout)")
        #expect(drawn.stdout.contains("healthy"), "\(drawn.stdout)")
        #expect(drawn.stdout.contains("traffic "), "\(drawn.stdout)")
        #expect(drawn.stdout.contains("alarms: gated-canary-5xx "), "\(drawn.stdout)")
        // In a pipe: plain blocks, no escape codes; with --json, one JSON object per line.
        let piped = try await offThread { [cwd = f.repo.path, env = f.cli.environment, state = f.state] in
            let running = try ProcessRunner.start(
                CLI.testkitBinary,
                ["status", "gated", "--watch", "--json", "--interval", "500ms", "--state-dir", state],
                cwd: cwd, environment: env)
            Thread.sleep(forTimeInterval: 2)
            running.signal(SIGTERM)
            return running.wait()
        }
        let lines = piped.stdout.split(separator: "\n")
        #expect(lines.count >= 2 && !piped.stdout.contains("\u{1B}["), "\(piped.stdout)")
        let view = Self.json(String(lines.first ?? ""))
        #expect((view["run"] as? [String: Any])?["id"] as? String == "gated-1", "\(view)")
        let waitingStage = ((view["run"] as? [String: Any])?["stages"] as? [[String: Any]])?.first {
            $0["id"] as? String == "gate"
        }
        #expect(waitingStage?["status"] as? String == "waiting")
        #expect((waitingStage?["elapsed_ms"] as? Int ?? -1) >= 0)
        // Someone not among the approvers is answered `ignored`: the run goes on waiting.
        let refused = try await Self.asActor("bob", f, ["approve", "gated-1"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("bob is not among the approvers (alice)"), "\(refused.stdout)")
        #expect(Self.stage(try await Self.show(ask, "gated-1"), "gate")["status"] as? String == "waiting")
        let approved = try await Self.asActor("alice", f, ["approve", "gated-1", "--comment", "ship it"])
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        let out = await offThread { run.wait() }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        // Far sooner than the 10-minute bake.
        #expect(ContinuousClock.now - started < .seconds(240))
        let record = try await Self.show(ask, "gated-1")
        #expect(record["status"] as? String == "succeeded")
        let bakeOutputs = Self.stage(record, "bake")["outputs"] as? [String: Any]
        #expect(bakeOutputs?["bake_skipped_by"] != nil, "\(bakeOutputs ?? [:])")
        let gate = Self.stage(record, "gate")["outputs"] as? [String: Any]
        #expect(gate?["decision"] as? String == "approved")
        #expect(gate?["decided_by"] as? String == "alice")
        #expect(gate?["comment"] as? String == "ship it")
        #expect((gate?["decided_at"] as? String).flatMap(Timestamp.parse) != nil)
        let logs = try await ask(["logs", "gated-1", "--stage", "gate"])
        #expect(logs.stdout.contains("approved by alice"), "\(logs.stdout)")
    }

    @Test func localRejectAndAbortRunOnFailure() async throws {
        let f = try Fixture(
            service: "rejected",
            stages: Self.approvalStages.replacingOccurrences(of: "SERVICE", with: "rejected")
                .replacingOccurrences(of: "bake_time: 10m", with: "bake_time: 1s"))
        defer { f.stop() }
        let run = try ProcessRunner.start(
            CLI.testkitBinary, ["run", "rejected", "--state-dir", f.state], cwd: f.repo.path,
            environment: f.cli.environment)
        let ask: @Sendable ([String]) async throws -> ProcessRunner.Output = {
            try await f.cli($0 + ["--state-dir", f.state])
        }
        #expect(
            await eventually(.seconds(60)) {
                Self.stage(try await Self.show(ask, "rejected-1"), "gate")["status"] as? String == "waiting"
            })
        let rejected = try await Self.asActor("alice", f, ["reject", "rejected-1", "--comment", "p99 too high"])
        #expect(rejected.status == 0, "\(rejected.stdout)\(rejected.stderr)")
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        let record = try await Self.show(ask, "rejected-1")
        #expect(record["status"] as? String == "rolled_back", "\(record)")
        let gate = Self.stage(record, "gate")
        #expect(gate["status"] as? String == "failed")
        #expect((gate["error"] as? String)?.contains("rejected by alice") == true, "\(gate)")
        #expect((gate["error"] as? String)?.contains("p99 too high") == true, "\(gate)")
        #expect((gate["outputs"] as? [String: Any])?["decision"] as? String == "rejected")
        // The canary is gone: rollback ran.
        #expect(try await f.service("rejected-canary")?.desiredCount ?? 0 == 0)

        // Again (the rejected commit is quarantined: --force), aborted from another process this time.
        let again = try ProcessRunner.start(
            CLI.testkitBinary, ["run", "rejected", "--force", "--state-dir", f.state], cwd: f.repo.path,
            environment: f.cli.environment)
        #expect(
            await eventually(.seconds(60)) {
                Self.stage(try await Self.show(ask, "rejected-2"), "gate")["status"] as? String == "waiting"
            })
        let aborted = try await Self.asActor("ops", f, ["abort", "rejected-2", "--comment", "wrong window"])
        #expect(aborted.status == 0, "\(aborted.stdout)\(aborted.stderr)")
        let second = await offThread { again.wait() }
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        let two = try await Self.show(ask, "rejected-2")
        #expect(two["status"] as? String == "rolled_back", "\(two)")
        #expect((two["error"] as? String)?.contains("aborted by ops: wrong window") == true, "\(two)")
        #expect(Self.stage(two, "gate")["status"] as? String == "cancelled")
        #expect(try await f.service("rejected-canary")?.desiredCount ?? 0 == 0)
    }

    /// On the simulated ECS with the state in S3: the operator is on another machine (its own folder and
    /// HOME, nothing shared but the bucket). Skip-bake and approve a first run; abort a second one.
    @Test func motoOperatorsOnAnotherMachine() async throws {
        let s = try await ECSPipelineTests.setup(bake: "10m")
        let text = try String(contentsOfFile: s.repo.path + "/pipelines/web.yml", encoding: .utf8)
        try s.repo.write(
            "pipelines/web.yml",
            text.replacingOccurrences(
                of: "  - uses: promote\n",
                with: "  - {uses: approval, id: gate, with: {approvers: [alice], timeout: 5m}}\n  - uses: promote\n"))
        try s.repo.commit("gate")
        let state = try await SharedStateTests.bucket(s)
        let deployer = try await SharedStateTests.machine(s, state: state)
        let operatorMachine = try await SharedStateTests.machine(s, state: state, clone: false)
        let before = try await s.service(s.name)["taskDefinition"] as? String

        let first = try deployer.start(["run", "web"])
        #expect(await eventually(.seconds(60)) { first.stdoutSoFar.contains("stage bake started") })
        let skip = try await operatorMachine.run(["skip-bake", "web-1"], extra: ["PIPELINE_ACTOR": "ops"])
        #expect(skip.status == 0, "\(skip.stdout)\(skip.stderr)")
        #expect(
            await eventually(.seconds(60)) {
                Self.stage(try await SharedStateTests.record(operatorMachine, "web-1"), "gate")["status"] as? String
                    == "waiting"
            })
        let approved = try await operatorMachine.run(
            ["approve", "web-1", "--comment", "canary clean"], extra: ["PIPELINE_ACTOR": "alice"])
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        let outFirst = await offThread { first.wait() }
        #expect(outFirst.status == 0, "\(outFirst.stdout)\(outFirst.stderr)")
        let one = try await SharedStateTests.record(operatorMachine, "web-1")
        #expect((Self.stage(one, "gate")["outputs"] as? [String: Any])?["decided_by"] as? String == "alice")
        #expect((Self.stage(one, "bake")["outputs"] as? [String: Any])?["bake_skipped_by"] as? String == "ops")
        let promoted = try await s.service(s.name)["taskDefinition"] as? String
        #expect(promoted != before)

        // A second commit, aborted from the other machine during its bake: on_failure rolls it back.
        try s.repo.write("services/web/README", "v3")
        try s.repo.commit("v3")
        let deployerFolder = deployer.folder
        _ = try await offThread { try ProcessRunner.run("git", ["-C", deployerFolder, "pull", "-q"]) }
        let second = try deployer.start(["run", "web"])
        #expect(await eventually(.seconds(60)) { second.stdoutSoFar.contains("stage bake started") })
        let abort = try await operatorMachine.run(
            ["abort", "web-2", "--comment", "wrong window"], extra: ["PIPELINE_ACTOR": "ops"])
        #expect(abort.status == 0, "\(abort.stdout)\(abort.stderr)")
        let outSecond = await offThread { second.wait() }
        #expect(outSecond.status == 1, "\(outSecond.stdout)\(outSecond.stderr)")
        let two = try await SharedStateTests.record(operatorMachine, "web-2")
        #expect(two["status"] as? String == "rolled_back", "\(two)")
        #expect((two["error"] as? String)?.contains("aborted by ops: wrong window") == true, "\(two["error"] ?? "")")
        #expect(try await s.service(s.name)["taskDefinition"] as? String == promoted)
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        // Asking an ended run is bad input.
        let late = try await operatorMachine.run(["abort", "web-2"])
        #expect(late.status == 2, "\(late.stdout)\(late.stderr)")
    }
}
