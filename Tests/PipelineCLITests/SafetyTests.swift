import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The deployment-safety promise on the simulated ECS (moto with the project's patch): readiness from
/// evidence, alarm baselines, recovery after kill -9, quarantine, signals.
@Suite struct SafetyTests {
    typealias Setup = ECSPipelineTests.Setup

    static func setup(bake: String = "1s", alarmWatch extra: String = "") async throws -> Setup {
        let s = try await ECSPipelineTests.setup(bake: bake)
        if !extra.isEmpty {
            let path = s.repo.path + "/pipelines/web.yml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try s.repo.write(
                "pipelines/web.yml",
                text.replacingOccurrences(
                    of: "poll_interval: 200ms}\n  - uses: promote",
                    with: "poll_interval: 200ms\(extra)}\n  - uses: promote"))
            try s.repo.commit("alarm-watch settings")
        }
        return s
    }

    static func start(_ s: Setup, _ arguments: [String], environment: [String: String] = [:]) throws
        -> ProcessRunner.Running
    {
        var env = s.cli.environment
        env.merge(environment) { _, new in new }
        return try ProcessRunner.start(CLI.stockBinary, arguments, cwd: s.cli.cwd, environment: env)
    }

    static func runsJSON(_ s: Setup) async throws -> [[String: Any]] {
        let out = try await s.run(["runs", "--json", "--limit", "100"])
        return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func badRevisionRunAgainIsRolledBackAgainNeverSucceeded() async throws {
        let s = try await Self.setup(bake: "30s")
        #expect(try await s.run(["run", "web"]).status == 0)
        let good = try await s.service(s.name)["taskDefinition"] as? String
        try s.repo.write("v2.txt", "bad")
        try s.repo.commit("v2: bad")
        // v2's canary trips the alarm during the bake: rolled back, and the commit is quarantined.
        for attempt in 1...2 {
            if attempt == 2 {
                let refused = try await s.run(["run", "web"])
                #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
                #expect(refused.stderr.contains("quarantined: run web-2 rolled it back"))
                #expect(refused.stderr.contains("--force"))
            }
            let run = try Self.start(s, attempt == 1 ? ["run", "web"] : ["run", "web", "--force"])
            #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") })
            if attempt == 2 {
                // The canary ran fresh tasks of the same revision, judged healthy, before the bake.
                let log = try String(
                    contentsOfFile: s.repo.path + "/.pipeline/runs/web/3/logs/canary.log", encoding: .utf8)
                #expect(log.contains("forcing a new deployment"), "\(log)")
                #expect(log.contains("healthy 1"), "\(log)")
            }
            _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "Threshold Crossed: canary 5xx")
            let out = await offThread { run.wait() }
            #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
            #expect(out.stdout.contains("rolled_back"))
            #expect(try await s.service(s.name)["taskDefinition"] as? String == good)
            #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
            _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "OK", "recovered")
        }
        let table = try await s.run(["runs"])
        #expect(
            table.stdout.split(separator: "\n").filter { $0.contains("(quarantined)") }.count == 2, "\(table.stdout)")
        let runs = try await Self.runsJSON(s)
        #expect(runs.filter { $0["status"] as? String == "succeeded" }.count == 1)
        #expect(runs.filter { $0["status"] as? String == "rolled_back" }.count == 2)
        // `runs --json` marks them as the table does.
        #expect(runs.filter { $0["quarantined"] as? Bool == true }.count == 2, "\(runs)")
    }

    @Test func alarmTrippedBeforeTheBakeRollsBack() async throws {
        let s = try await Self.setup(bake: "30s")
        // The alarm goes to ALARM and back to OK at once (no look can see ALARM), while the canary starts.
        let run = try Self.start(s, ["run", "web"])
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage canary started") })
        _ = try await s.fixture("flap-alarm", "\(s.name)-5xx", "Threshold Crossed: early")
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("alarm \(s.name)-5xx went to ALARM"))
        #expect(out.stdout.contains("Threshold Crossed: early"))
        #expect(out.stdout.contains("rolled_back"))
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
    }

    @Test func alarmFromInsufficientDataIsNotIgnored() async throws {
        let s = try await Self.setup(bake: "30s", alarmWatch: ", ignore_alarms_already_firing: true")
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "INSUFFICIENT_DATA", "no data yet")
        let run = try Self.start(s, ["run", "web"])
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") })
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "Threshold Crossed: canary errors")
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("went to ALARM"))
        #expect(out.stdout.contains("rolled_back"))
    }

    @Test func preExistingAlarmHoldsTheRunBeforeAnyChange() async throws {
        let s = try await Self.setup(bake: "1s", alarmWatch: ", alarm_clear_timeout: 30s")
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "left over from a bad run")
        let before = try await s.fixture("state", s.name)
        let run = try Self.start(s, ["run", "web"])
        #expect(
            await eventually(.seconds(30)) {
                run.stdoutSoFar.contains("is in ALARM before the run changed anything: waiting up to")
            })
        try await Task.sleep(for: .seconds(1))
        #expect(NSDictionary(dictionary: before).isEqual(to: try await s.fixture("state", s.name)))
        #expect(!run.stdoutSoFar.contains("stage register started"))
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "OK", "cleared")
        let out = await offThread { run.wait() }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
    }

    @Test func alarmThatDoesNotClearFailsWithoutChanges() async throws {
        let s = try await Self.setup(bake: "1s", alarmWatch: ", alarm_clear_timeout: 2s")
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "still broken")
        let before = try await s.fixture("state", s.name)
        let out = try await s.run(["run", "web"])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("still in ALARM after waiting"))
        #expect(out.stdout.contains("before any change"))
        #expect(out.stdout.contains("nothing to undo"))
        #expect(NSDictionary(dictionary: before).isEqual(to: try await s.fixture("state", s.name)))
        // Not the commit's fault: it is not quarantined.
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "OK", "cleared")
        #expect(try await s.run(["run", "web"]).status == 0)
    }

    @Test func unhealthyCanaryTimesOutNamingItsTargets() async throws {
        let s = try await Self.setup()
        try s.repo.write(
            "pipelines/web.yml",
            ECSPipelineTests.pipeline(s.name, zone: s.fx["hosted_zone_id"] as! String).replacingOccurrences(
                of: "timeout: 30s}\n  - uses: alarm-watch", with: "timeout: 4s}\n  - uses: alarm-watch"))
        try s.repo.commit("short canary timeout")
        let out = try await s.run(["run", "web"], environment: ["IMAGE_PREFIX": "unhealthy-"])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("target unhealthy"), "\(out.stdout)")
        #expect(out.stdout.contains("Target.ResponseCodeMismatch"))
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
    }

    @Test func brokenCanaryFailsWithTheStoppedTaskReason() async throws {
        let s = try await Self.setup()
        let out = try await s.run(["run", "web"], environment: ["IMAGE_PREFIX": "broken-"])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("CannotPullContainerError"), "\(out.stdout)")
        let log = try String(contentsOfFile: s.repo.path + "/.pipeline/runs/web/1/logs/canary.log", encoding: .utf8)
        #expect(log.contains("FAILED"), "\(log)")
        #expect(log.contains("CannotPullContainerError"), "\(log)")
    }

    @Test func closedStdoutDoesNotStopTheDeploy() async throws {
        let s = try await Self.setup()
        let binary = CLI.stockBinary
        let out = try await Self.runShell(s, "'\(binary)' run web | head -1; echo \"pipe: ${PIPESTATUS[0]}\"")
        #expect(out.stdout.contains("pipe: 0"), "\(out.stdout)\(out.stderr)")
        let runs = try await Self.runsJSON(s)
        #expect(runs.first?["status"] as? String == "succeeded")
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
    }

    static func runShell(_ s: Setup, _ script: String) async throws -> ProcessRunner.Output {
        let (cwd, env) = (s.cli.cwd, s.cli.environment)
        return try await offThread { try ProcessRunner.run("/bin/bash", ["-c", script], cwd: cwd, environment: env) }
    }

    @Test func sighupRunsOnFailure() async throws {
        let s = try await Self.setup(bake: "60s")
        let run = try Self.start(s, ["run", "web"])
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") })
        run.signal(SIGHUP)
        let out = await offThread { run.wait() }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("rolled_back"))
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
    }

    /// kill -9 at random points of a canary pipeline; after `pipeline recover` the canary is at 0 and the
    /// service on the revision the last successful run promoted, every time; no run is left running.
    @Test func killNineAtRandomPointsIsRecovered() async throws {
        let points = Int(ProcessInfo.processInfo.environment["PIPELINE_TEST_KILL_POINTS"] ?? "") ?? 50
        let s = try await Self.setup(bake: "1s")
        #expect(try await s.run(["run", "web"]).status == 0)
        var promoted = try await s.service(s.name)["taskDefinition"] as? String
        var ok = 0
        var seen: [String: Int] = [:]
        for i in 0..<points {
            try s.repo.write("change.txt", "\(i)")
            try s.repo.commit("change \(i)")
            let run = try Self.start(s, ["run", "web"])
            // Runs take ~3.5 s here: kill anywhere in them.
            let delay = Double.random(in: 0.0...4.0)
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            let stage = run.stdoutSoFar.components(separatedBy: "stage ").last?.split(separator: " ").first ?? "?"
            seen[String(stage), default: 0] += 1
            run.signal(SIGKILL)
            let killed = await offThread { run.wait() }
            let recover = try await s.run(["recover"])
            #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
            let main = try await s.service(s.name)
            let canary = try await s.service("\(s.name)-canary")
            let runs = try await Self.runsJSON(s)
            if let last = runs.first, last["status"] as? String == "succeeded" {
                // Finished before the kill: that run promoted its revision.
                promoted = main["taskDefinition"] as? String
            }
            let running = runs.filter {
                $0["status"] as? String == "running" || $0["status"] as? String == "interrupted"
            }
            let good =
                main["taskDefinition"] as? String == promoted && (canary.isEmpty || canary["desiredCount"] as? Int == 0)
                && running.isEmpty
            if good { ok += 1 }
            #expect(
                good,
                "kill \(i) after \(delay)s: main \(main["taskDefinition"] ?? "-") (want \(promoted ?? "-")), canary \(canary["desiredCount"] ?? "-"), left \(running)\n\(killed.stdout)\n\(recover.stdout)"
            )
        }
        #expect(ok == points)
        print("kill -9 at \(points) points: \(ok)/\(points) recovered; killed during: \(seen)")
    }

    @Test func watchDoesNotDeployAQuarantinedCommitAgain() async throws {
        let s = try await Self.setup()
        let text = try String(contentsOfFile: s.repo.path + "/pipelines/web.yml", encoding: .utf8)
        try s.repo.write("pipelines/web.yml", "on:\n  push:\n    branches: [main]\n" + text)
        try s.repo.commit("deploy on push")
        let broken = ["IMAGE_PREFIX": "broken-"]
        #expect(try await s.run(["run", "web"], environment: broken).status == 1)
        // A watch that starts (or restarts) with no cursor sees the head commit: quarantined, not deployed.
        let watch = try await s.run(["watch", "--repo", ".", "--once"], environment: broken)
        #expect(watch.stdout.contains("quarantined (web-1 rolled it back)"), "\(watch.stdout)\(watch.stderr)")
        #expect(try await Self.runsJSON(s).count == 1)
        // A newer commit deploys normally.
        try s.repo.write("fix.txt", "fixed")
        try s.repo.commit("fix")
        let next = try await s.run(["watch", "--repo", ".", "--once"])
        #expect(next.stdout.contains("web-2 succeeded"), "\(next.stdout)\(next.stderr)")
    }

    @Test func watchRecoversARunKilledElsewhereWithinTenSeconds() async throws {
        let s = try await Self.setup(bake: "30s")
        let first = try Self.start(s, ["run", "web"])
        #expect(await eventually(.seconds(30)) { first.stdoutSoFar.contains("stage bake started") })
        first.signal(SIGKILL)
        _ = await offThread { first.wait() }
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 1)
        let watch = try Self.start(s, ["watch", "--repo", ".", "--poll", "500ms", "--branch", "nothing-here"])
        defer {
            watch.signal(SIGTERM)
            _ = watch.wait()
        }
        let recovered = await eventually(.seconds(10)) {
            let runs = try await Self.runsJSON(s)
            let status = runs.first { $0["id"] as? String == "web-1" }?["status"] as? String
            return try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0 && status == "rolled_back"
        }
        #expect(recovered, "\(watch.stdoutSoFar)")
        let show = try await s.run(["show", "web-1", "--json"])
        #expect(show.stdout.contains("\"recovery\""))
    }
}
