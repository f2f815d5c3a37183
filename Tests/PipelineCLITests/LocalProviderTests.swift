import AsyncHTTPClient
import Foundation
import PipelineCore
import PipelineLocal
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The local provider end to end: the built CLI, its background agent, real Python processes from
/// examples/hello-service, real HTTP through the load balancer.
@Suite(.serialized) struct LocalProviderTests {
    /// A throwaway repository made from examples/hello-service, a short state dir, a free listener port.
    final class Fixture: @unchecked Sendable {
        let repo: GitFixture
        let state: String
        let port: Int
        let cli: CLI
        let service: String

        init(service: String, stages: String, onFailure: String = "  - uses: rollback\n    with: {poll_interval: 1s}\n")
            throws
        {
            repo = try GitFixture()
            let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("examples/hello-service")
            for name in ["app.py", "task-definition.json"] {
                try repo.write(name, try String(contentsOf: example.appendingPathComponent(name), encoding: .utf8))
            }
            state = "/tmp/pl-\(UUID().uuidString.prefix(8))"
            port = try FreePort.next()
            self.service = service
            cli = CLI(cwd: repo.path, environment: ["PIPELINE_LOCAL_FRONT_PORT": "0"])
            try repo.write(
                "pipelines/\(service).yml",
                """
                name: \(service)
                target:
                  provider: local
                  service: \(service)
                  listener_port: \(port)
                  health_check_path: /health
                  desired_count: 4
                  alarms:
                    - {name: \(service)-canary-5xx, metric: HTTPCode_Target_5XX_Count, statistic: Sum, period: 10,
                       threshold: 2, comparison_operator: GreaterThanThreshold, dimensions: {service: \(service)-canary}}
                stages:
                  - {uses: build-task-definition, id: build, with: {template: task-definition.json}}
                  - {uses: register-task-definition, id: register}
                \(stages)
                on_failure:
                \(onFailure)
                """)
            try repo.commit("v1")
        }

        /// Runs the pipeline on a thread of its own: a blocking wait here would hold one of the few
        /// cooperative threads every other test needs (and delay their timers) for the whole run.
        func run() async throws -> ProcessRunner.Output { try await cli(["run", service, "--state-dir", state]) }

        func cli(_ arguments: [String]) async throws -> ProcessRunner.Output {
            let cli = self.cli
            return try await offThread {
                try ProcessRunner.run(CLI.testkitBinary, arguments, cwd: cli.cwd, environment: cli.environment)
            }
        }

        /// Commits a change to app.py.
        func commitApp(_ message: String, _ edit: (String) -> String) throws {
            let text = try String(contentsOfFile: repo.path + "/app.py", encoding: .utf8)
            try repo.write("app.py", edit(text))
            try repo.commit(message)
        }

        var paths: LocalPaths { LocalPaths(stateRoot: URL(fileURLWithPath: state)) }

        func status() async throws -> AgentStatus {
            let r = try await AgentClient(socketPath: paths.socket).call(AgentRequest.status, timeout: 10)
            return r.status!
        }

        func service(_ name: String) async throws -> ServiceStatus? {
            try await status().services.first { $0.name == name }
        }

        func stop() {
            _ = try? cli.run("agent", "stop", "--state-dir", state)
            if ProcessInfo.processInfo.environment["KEEPSTATE"] != nil { return }
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: repo.path)
        }
    }

    /// GET / through the load balancer: (status, body).
    static func get(_ client: HTTPClient, port: Int) async -> (Int, String) {
        do {
            let response = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return (0, "\(error)")
        }
    }

    /// Processes whose environment says they are tasks of `service`.
    static func processes(of service: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environ.split(separator: 0).contains {
                String(decoding: $0, as: UTF8.self) == "PIPELINE_SERVICE=\(service)"
            }
        }
    }

    static let canaryThenPromote = """
          - {uses: canary-deploy, id: canary, with: {timeout: 1m, poll_interval: 500ms}}
          - {uses: alarm-watch, id: bake, with: {alarms: [SERVICE-canary-5xx], bake_time: 6s, poll_interval: 500ms}}
          - uses: promote
            with: {deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50, timeout: 2m, poll_interval: 500ms}
        """

    @Test func badLocalTargetIsRefusedBeforeAnythingStarts() async throws {
        let f = try Fixture(service: "bad", stages: "  - {uses: promote}")
        defer { f.stop() }
        let text = try String(contentsOfFile: f.repo.path + "/pipelines/bad.yml", encoding: .utf8)
        try f.repo.write(
            "pipelines/bad.yml",
            text.replacingOccurrences(
                of: "comparison_operator: GreaterThanThreshold", with: "comparison_operator: Above"))
        try f.repo.commit("bad alarm")
        let run = try await f.run()
        #expect(run.status == 2)
        #expect(
            // File, line and column of the value, the key path, what is wrong.
            run.stderr.contains("pipelines/bad.yml:10:43: target.alarms[0].comparison_operator: expected one of"),
            "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.state + "/local/agent.pid"))
        #expect(try f.cli.run("runs", "--state-dir", f.state).stdout.contains("no runs"))
        let validate = try f.cli.run("validate")
        #expect(validate.status == 2)
        #expect(validate.stderr.contains("pipelines/bad.yml:10:43: target.alarms[0].comparison_operator"))
        // --json gives each problem as an object: file, line, column, path, message.
        let json = try f.cli.run("validate", "--json")
        let results = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        let problem = (results.first?["problems"] as? [[String: Any]])?.first
        #expect(problem?["file"] as? String == "pipelines/bad.yml")
        #expect(problem?["line"] as? Int == 10 && problem?["column"] as? Int == 43)
        #expect(problem?["path"] as? String == "target.alarms[0].comparison_operator")
        #expect((problem?["message"] as? String)?.hasPrefix("expected one of") == true, "\(json.stdout)")
    }

    /// A listener port that another process holds is bad input: exit 2 naming it, no agent left running.
    @Test func takenListenerPortExitsTwoAndLeavesNothingRunning() async throws {
        let f = try Fixture(service: "taken", stages: "  - {uses: promote}")
        defer { f.stop() }
        let holder = try ProcessRunner.start(
            "python3",
            [
                "-c",
                "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(f.port))); s.listen(); print('ready', flush=True); time.sleep(120)",
            ])
        defer {
            holder.signal(SIGKILL)
            _ = holder.wait()
        }
        #expect(await eventually(.seconds(10)) { holder.stdoutSoFar.contains("ready") })
        let run = try await f.run()
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stderr.contains("listener_port \(f.port): 127.0.0.1:\(f.port) is already in use by another process"),
            "\(run.stderr)")
        #expect(!run.stderr.contains("errno"))
        let status = try await f.cli(["agent", "status", "--state-dir", f.state])
        #expect(status.status != 0, "the agent is still running: \(status.stdout)")
    }

    @Test func stateDirThatIsAFileIsBadInput() async throws {
        let file = NSTemporaryDirectory() + "state-file-\(UUID().uuidString)"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: wait, with: {duration: 0s}}\n"])
        let cli = CLI(cwd: repo.path)
        for arguments in [["run", "web", "--state-dir", file], ["runs", "--state-dir", file]] {
            let out = try await cli.stock(arguments)
            #expect(out.status == 2, "\(arguments): \(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains("state folder \(file): \(file) exists and is not a folder"), "\(out.stderr)")
        }
    }

    @Test func dryRunOnAFreshAgentChangesNothing() async throws {
        let f = try Fixture(
            service: "dry", stages: Self.canaryThenPromote.replacingOccurrences(of: "SERVICE", with: "dry"))
        defer { f.stop() }
        let dry = try await f.cli(["run", "dry", "--dry-run", "--state-dir", f.state])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("would create dry-canary"))
        // Issue 13: a dry run starts nothing — no agent, no listener, no task.
        #expect(dry.stderr.contains("no local agent runs"), "\(dry.stderr)")
        #expect(AgentLauncher.runningPID(f.paths) == nil)
        #expect(!FileManager.default.fileExists(atPath: f.paths.socket))
        #expect(Self.processes(of: "dry").isEmpty)
        #expect(try await f.cli(["agent", "status", "--state-dir", f.state]).status != 0)
        // ... and waits for nothing: the bake is described, not waited out.
        #expect(dry.stdout.contains("would watch 1 alarm(s) for 6s"), "\(dry.stdout)")
    }

    @Test func rollingDeployUnderLoadLosesNoRequestAndKeepsMinimumHealthy() async throws {
        let f = try Fixture(
            service: "roll",
            stages: """
                  - uses: promote
                    with: {deployment_maximum_percent: 100, deployment_minimum_healthy_percent: 50, timeout: 2m, poll_interval: 500ms}
                """)
        defer { f.stop() }
        let first = try await f.run()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try await f.service("roll")?.healthyCount == 4)

        try f.commitApp("v2") { $0.replacingOccurrences(of: "VERSION = \"1\"", with: "VERSION = \"2\"") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let done = Flag()
        // Steady load: 4 clients back to back; a sampler of healthy and total tasks.
        async let load: [(Int, String)] = withTaskGroup(of: [(Int, String)].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen: [(Int, String)] = []
                    while !done.isSet {
                        seen.append(await Self.get(client, port: f.port))
                        try? await Task.sleep(for: .milliseconds(2))  // steady, not CPU-starving, load
                    }
                    return seen
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        async let samples: [(Int, Int)] = {
            var out: [(Int, Int)] = []
            while !done.isSet {
                if let s = try? await f.service("roll") { out.append((s.healthyCount, s.tasks.count)) }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return out
        }()
        // Load for 2 s on either side of the deploy as well: on a loaded 2-core machine 1 s each side
        // once gave 97 responses in all (79 another time), under the floor below.
        try await Task.sleep(for: .seconds(2))
        let second = try await f.run()
        try await Task.sleep(for: .seconds(2))
        done.set()
        let responses = await load
        let sampled = await samples
        try await client.shutdown()

        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let failed = responses.filter { $0.0 != 200 }
        #expect(responses.count > 100)
        #expect(failed.isEmpty, "\(failed.count) of \(responses.count) failed: \(failed.prefix(3))")
        #expect(responses.contains { $0.1.contains("\"version\": \"2\"") })
        #expect(responses.last { $0.0 == 200 }?.1.contains("\"version\": \"2\"") == true)
        #expect(!sampled.isEmpty)
        #expect(sampled.map(\.0).min() ?? 0 >= 2, "healthy counts: \(sampled.map(\.0))")
        #expect(sampled.map(\.1).max() ?? 99 <= 4, "task counts: \(sampled.map(\.1))")
    }

    @Test func canaryGetsItsShareThenABadCanaryIsRolledBack() async throws {
        let f = try Fixture(
            service: "share", stages: Self.canaryThenPromote.replacingOccurrences(of: "SERVICE", with: "share"))
        defer { f.stop() }
        let first = try await f.run()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        // A canary beside 4 tasks gets about a fifth of the requests.
        try f.commitApp("v2") { $0.replacingOccurrences(of: "VERSION = \"1\"", with: "VERSION = \"2\"") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let running = try f.cli.start("run", "share", "--state-dir", f.state)
        // Wait for v2's canary task (v1's canary from the first run may still be draining).
        #expect(
            await eventually(.seconds(30)) {
                guard let canary = try await f.service("share-canary") else { return false }
                return canary.healthyCount == 1
                    && canary.tasks.allSatisfy { $0.health == "HEALTHY" && $0.taskDefinition.hasSuffix("hello:2") }
            })
        var answers: [(Int, String)] = []
        for _ in 0..<200 { answers.append(await Self.get(client, port: f.port)) }
        let canary = answers.filter { $0.1.contains("share-canary") }.count
        #expect(answers.allSatisfy { $0.0 == 200 }, "\(answers.filter { $0.0 != 200 }.prefix(3))")
        let stops = try await f.service("share-canary")?.recentStops ?? []
        #expect((30...50).contains(canary), "canary answered \(canary) of 200: \(answers.suffix(6).map(\.1)); \(stops)")
        let finished = await offThread { running.wait() }
        #expect(finished.status == 0, "\(finished.stdout)\(finished.stderr)")

        // v3 answers 500: the canary's alarm fires during the bake and the run rolls back.
        try f.commitApp("v3 bug") {
            $0.replacingOccurrences(of: "return f\"hello, {name}\"", with: "return f\"hello, {name.title_case()}\"")
        }
        let load = Task {
            var codes: [Int] = []
            while !Task.isCancelled {
                codes.append(await Self.get(client, port: f.port).0)
                try? await Task.sleep(for: .milliseconds(20))
            }
            return codes
        }
        let bad = try await f.run()
        load.cancel()
        let codes = await load.value
        #expect(bad.status == 1)
        // The canary's errors fire the alarm during the bake, or already while the canary stage waits for its
        // task (the engine guards the alarms from the canary's start): either way the run fails on it.
        #expect(bad.stdout.contains("failed: alarm share-canary-5xx went to ALARM"), "\(bad.stdout)")
        #expect(bad.stdout.contains("rolled_back"))
        #expect(codes.contains(500) && codes.filter { $0 == 200 }.count > codes.count / 2)
        let canaryState = try await f.service("share-canary")
        #expect(canaryState?.desiredCount == 0)
        #expect(await eventually(.seconds(15)) { Self.processes(of: "share-canary").isEmpty })
        #expect(try await f.service("share")?.taskDefinition.hasSuffix("hello:2") == true)

        // The same bad commit again: quarantined (exit 2 naming the run); with --force its canary runs fresh
        // tasks (a forced deployment), the alarm fires again, and it is rolled back again.
        let refused = try await f.run()
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("quarantined: run share-3 rolled it back"), "\(refused.stderr)")
        let againLoad = Task {
            while !Task.isCancelled {
                _ = await Self.get(client, port: f.port)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let again = try await f.cli(["run", "share", "--state-dir", f.state, "--force"])
        againLoad.cancel()
        #expect(again.status == 1, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("went to ALARM"), "\(again.stdout)")
        #expect(again.stdout.contains("rolled_back"))
        let againLog = try String(
            contentsOfFile: f.state + "/runs/share/4/logs/canary.log", encoding: .utf8)
        // (This template registers a new revision per run; had it not, the canary would have been forced.)
        // A new deployment started for the re-run (fresh tasks); the guard may roll it back before it is healthy.
        #expect(againLog.contains("share-canary: deployment ecs-svc-") && againLog.contains(" started"), "\(againLog)")
        #expect(try await f.service("share")?.taskDefinition.hasSuffix("hello:2") == true)

        // kill -9 during the bake of a good commit: `pipeline recover` scales the canary to 0 and leaves the
        // service on the revision the last successful run promoted.
        try f.commitApp("v4 fixed") {
            $0.replacingOccurrences(of: "VERSION = \"2\"", with: "VERSION = \"4\"")
                .replacingOccurrences(of: "{name.title_case()}", with: "{name}")
        }
        let killed = try f.cli.start("run", "share", "--state-dir", f.state)
        #expect(await eventually(.seconds(60)) { killed.stdoutSoFar.contains("stage bake started") })
        killed.signal(SIGKILL)
        _ = await offThread { killed.wait() }
        #expect(try await f.service("share-canary")?.desiredCount == 1)
        let recovered = try await f.cli(["recover", "--state-dir", f.state])
        #expect(recovered.status == 0, "\(recovered.stdout)\(recovered.stderr)")
        #expect(recovered.stdout.contains("share-5 rolled_back"), "\(recovered.stdout)")
        #expect(try await f.service("share-canary")?.desiredCount == 0)
        #expect(try await f.service("share")?.taskDefinition.hasSuffix("hello:2") == true)
        // Not quarantined (killed, not failed): the fix deploys once the bad run's alarm has cleared.
        let fixed = try await f.run()
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
        let answer = await Self.get(client, port: f.port)
        #expect(answer.1.contains("\"version\": \"4\""), "\(answer) \(fixed.stdout)")
        try await client.shutdown()
    }

    /// A weighted canary on the local load balancer: at 10%, 10% ± 3% of 2,000 requests reach the
    /// canary whatever the task counts (4 main tasks, 1 canary); `agent status` shows the weights; when
    /// the run ends the listener sends to every main task in turn again.
    @Test func weightedCanaryGetsItsShareOfRequestsNotOfTasks() async throws {
        let f = try Fixture(
            service: "wgt",
            stages: """
                  - {uses: canary-deploy, id: canary, with: {timeout: 1m, poll_interval: 500ms, canary_target_group: wgt-canary, traffic: [10], step_bake: "${{ env.STEP_BAKE || '1s' }}"}}
                  - uses: promote
                    with: {deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50, timeout: 2m, poll_interval: 500ms}
                """)
        defer { f.stop() }
        // v1 goes out (through a short 10% step) so that the main service runs 4 tasks.
        let v1 = try await f.run()
        #expect(v1.status == 0, "\(v1.stdout)\(v1.stderr)")
        #expect(try await f.status().listeners.first?.weights == nil)
        try f.commitApp("v2") { $0.replacingOccurrences(of: "VERSION = \"1\"", with: "VERSION = \"2\"") }
        var slow = f.cli
        slow.environment["STEP_BAKE"] = "60s"
        let first = try ProcessRunner.start(
            CLI.testkitBinary, ["run", "wgt", "--state-dir", f.state], cwd: slow.cwd, environment: slow.environment)
        #expect(
            await eventually(.seconds(60)) { try await f.status().listeners.first?.weights?["wgt-canary"] == 10 })
        let status = try await f.status()
        #expect(status.listeners.first?.weights == ["wgt": 90, "wgt-canary": 10], "\(status.listeners)")
        #expect(try await f.service("wgt")?.healthyCount == 4)
        let text = try await f.cli(["agent", "status", "--state-dir", f.state])
        #expect(text.stdout.contains("wgt 90, wgt-canary 10"), "\(text.stdout)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var canary = 0
        var failed = 0
        for _ in 0..<2000 {
            let (code, body) = await Self.get(client, port: f.port)
            if code != 200 { failed += 1 }
            if body.contains("wgt-canary") { canary += 1 }
        }
        try await client.shutdown()
        #expect(failed == 0)
        #expect((140...260).contains(canary), "canary answered \(canary) of 2,000")
        // The agent answers metric queries (alarm-watch's `analysis:`) from the same counts.
        let query = MetricQuerySpec(
            namespace: "local", metric: "RequestCount", dimensions: ["service": "wgt-canary"], statistic: "Sum")
        let counted = try await AgentClient(socketPath: f.paths.socket).call(
            .metric(query: query, seconds: 120), timeout: 10
        ).value
        #expect(counted.map { Int($0) } == canary, "the agent counted \(counted ?? -1) requests of wgt-canary")
        print("weighted canary at 10%: \(canary) of 2,000 requests reached the canary")
        first.signal(SIGTERM)
        let out = await offThread { first.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        // Cancelled: on_failure put the listener back as it was (every main task in turn).
        #expect(try await f.status().listeners.first?.weights == nil)
        #expect(try await f.service("wgt-canary")?.desiredCount == 0)
    }

    @Test func killedTaskIsReplacedAndAFailingRevisionRollsBack() async throws {
        let f = try Fixture(
            service: "crash", stages: Self.canaryThenPromote.replacingOccurrences(of: "SERVICE", with: "crash"))
        defer { f.stop() }
        #expect(try await f.run().status == 0)
        let before = try #require(try await f.service("crash"))
        let victim = try #require(before.tasks.first)
        kill(victim.pid, SIGKILL)
        #expect(
            await eventually(.seconds(20)) {
                guard let s = try await f.service("crash") else { return false }
                return s.healthyCount == 4 && !s.tasks.contains { $0.id == victim.id }
                    && s.tasks.contains { $0.restarts == 1 }
            })
        #expect(try await f.service("crash")?.recentStops.first?.contains("SIGKILL") == true)

        // A revision that exits at start: its first stopped task fails the canary, naming the exit; rollback.
        try f.commitApp("exits at start") { "import sys\nsys.exit(3)\n" + $0 }
        let failing = try await f.run()
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("stage 'canary' failed: task crash-canary-"), "\(failing.stdout)")
        #expect(failing.stdout.contains("exited with code 3"), "\(failing.stdout)")
        #expect(failing.stdout.contains("rolled_back"))
        let main = try #require(try await f.service("crash"))
        #expect(main.taskDefinition.hasSuffix("hello:1") && main.healthyCount == 4)
        #expect(await eventually(.seconds(15)) { Self.processes(of: "crash-canary").isEmpty })
    }

    @Test func failingContainerHealthCheckStopsTheRolloutAndRollsBack() async throws {
        let f = try Fixture(
            service: "sick",
            stages: "  - {uses: promote, with: {timeout: 2m, poll_interval: 500ms}}")
        defer { f.stop() }
        #expect(try await f.run().status == 0)
        // v2's container health check always fails: each task turns UNHEALTHY after one check and is replaced;
        // the third failed start trips the circuit breaker, promote fails, rollback returns to v1.
        let td = try String(contentsOfFile: f.repo.path + "/task-definition.json", encoding: .utf8)
        let sick = td.replacingOccurrences(
            of: #""command": ["CMD-SHELL", "python3"#, with: #""command": ["CMD-SHELL", "exit 1; python3"#
        ).replacingOccurrences(of: #""retries": 3"#, with: #""retries": 1"#)
            .replacingOccurrences(of: #""interval": 5"#, with: #""interval": 1"#)
            .replacingOccurrences(of: #""startPeriod": 1"#, with: #""startPeriod": 0"#)
        #expect(sick != td)
        try f.repo.write("task-definition.json", sick)
        try f.repo.commit("v2 with a failing health check")
        let run = try await f.run()
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAILED") && run.stdout.contains("rolled_back"), "\(run.stdout)")
        let main = try #require(try await f.service("sick"))
        #expect(main.taskDefinition.hasSuffix("hello:1"))
        #expect(main.recentStops.contains { $0.contains("container health check failed") }, "\(main.recentStops)")
        #expect(await eventually(.seconds(30)) { try await f.service("sick")?.healthyCount == 4 })
    }

    @Test func agentSurvivesAKilledCLIAndItsOwnRestart() async throws {
        let f = try Fixture(
            service: "keep",
            stages: """
                  - {uses: promote, with: {timeout: 1m, poll_interval: 500ms}}
                  - {uses: wait, with: {duration: 30s}}
                """)
        defer { f.stop() }
        let run = try f.cli.start("run", "keep", "--state-dir", f.state)
        #expect(await eventually(.seconds(30)) { try await f.service("keep")?.healthyCount == 4 })
        run.signal(SIGKILL)
        _ = await offThread { run.wait() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        #expect(await Self.get(client, port: f.port).0 == 200)
        let old = try await f.service("keep")!.tasks.map(\.pid)
        let agent = try #require(AgentLauncher.runningPID(f.paths))

        // The agent dies hard; its tasks are left behind. A new agent stops them and brings the service back.
        kill(agent, SIGKILL)
        #expect(await eventually(.seconds(5)) { AgentLauncher.runningPID(f.paths) == nil })
        #expect(old.allSatisfy { kill($0, 0) == 0 })
        #expect(FileManager.default.fileExists(atPath: f.paths.pidFile))
        let down = try await f.cli(["agent", "status", "--state-dir", f.state])
        #expect(down.status == 1 && down.stdout.contains("no local agent is running"))

        // A run that needs the agent starts a new one, which notices the stale pid file.
        try f.repo.write(
            "pipelines/peek.yml",
            """
            target:
              provider: local
              service: keep
              listener_port: \(f.port)
              health_check_path: /health
              alarms: [{name: keep-5xx, metric: HTTPCode_Target_5XX_Count, period: 10, threshold: 1}]
            stages:
              - {uses: alarm-watch, with: {alarm_prefix: keep, bake_time: 0s, ignore_alarms_already_firing: true}}
            """)
        try f.repo.commit("peek")
        let peek = try await f.cli(["run", "peek", "--state-dir", f.state])
        #expect(peek.status == 0, "\(peek.stdout)\(peek.stderr)")
        #expect(peek.stderr.contains("removed a stale agent pid file (pid \(agent)"), "\(peek.stderr)")
        #expect(peek.stderr.contains("pipeline agent stop --state-dir \(f.state)`"), "\(peek.stderr)")
        // `agent status --json` uses snake_case keys, as run records do.
        let statusJSON = try await f.cli(["agent", "status", "--json", "--state-dir", f.state]).stdout
        #expect(statusJSON.contains("\"healthy_count\"") && !statusJSON.contains("\"healthyCount\""), "\(statusJSON)")
        #expect(await eventually(.seconds(30)) { try await f.service("keep")?.healthyCount == 4 })
        #expect(old.allSatisfy { kill($0, 0) != 0 })
        #expect(await Self.get(client, port: f.port).0 == 200)

        // Stopped and started again in the foreground: the service comes back; `agent stop` ends it all.
        let stop = try await f.cli(["agent", "stop", "--state-dir", f.state])
        #expect(stop.status == 0)
        #expect(Self.processes(of: "keep").isEmpty)
        // agent.log says each task that stopped, and why (docs/local.md).
        let agentLog = (try? String(contentsOfFile: f.paths.agentLog, encoding: .utf8)) ?? ""
        #expect(agentLog.contains("of keep stopped: "), "\(agentLog.suffix(2000))")
        let foreground = try f.cli.start("agent", "--state-dir", f.state)
        #expect(await eventually(.seconds(30)) { try await f.service("keep")?.healthyCount == 4 })
        #expect(try await f.cli(["agent", "stop", "--state-dir", f.state]).status == 0)
        #expect(await offThread { foreground.wait() }.status == 0)
        #expect(Self.processes(of: "keep").isEmpty)
        try await client.shutdown()
    }
}
