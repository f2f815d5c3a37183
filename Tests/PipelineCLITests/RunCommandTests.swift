import Foundation
import PipelineTestKit
import Testing

@Suite(.serialized) struct RunCommandTests {
    @Test func successExitsZeroAndRecordsTheCommit() throws {
        let repo = try repoWith([
            "web": localTarget + "stages:\n  - {uses: echo, id: build, with: {image: \"web:${{ commit.sha }}\"}}\n"
        ])
        let sha = try repo.git("rev-parse", "HEAD")
        let out = try CLI(cwd: repo.path).run("run", "web", "--json")
        #expect(out.status == 0)
        let record = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Any]
        #expect(record["status"] as? String == "succeeded")
        let commit = record["commit"] as! [String: Any]
        #expect(commit["sha"] as? String == sha)
        #expect(commit["branch"] as? String == "main")
        #expect(commit["author"] as? String == "Test Author <author@example.com>")
        #expect(commit["message"] as? String == "initial\n")
        let stages = record["stages"] as! [[String: Any]]
        #expect((stages[0]["outputs"] as? [String: Any])?["image"] as? String == "web:\(sha)")
    }

    @Test func failureExitsOneAndPlainProgressIsTimestamped() throws {
        let repo = try repoWith([
            "web": localTarget + "stages:\n  - {uses: fail, with: {message: nope}}\non_failure:\n  - {uses: noop}\n"
        ])
        let out = try CLI(cwd: repo.path).run("run", "web")
        #expect(out.status == 1)
        #expect(out.stdout.contains("stage fail failed"))
        #expect(out.stdout.contains("web-1 rolled_back"))
        let first = out.stdout.split(separator: "\n").first ?? ""
        #expect(
            first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run web-1 started"#, options: .regularExpression) != nil)
    }

    @Test func invalidPipelineExitsTwoWithFileLineAndPath() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - uses: sleep\n    with: {duration: later}\n"])
        let out = try CLI(cwd: repo.path).run("run", "web")
        #expect(out.status == 2)
        #expect(
            out.stderr.contains("pipelines/web.yml:4:22: stages[0].with.duration: expected a duration like 30s or 5m"))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.pipeline/runs/web"))
    }

    @Test func badFlagsAndUnknownPipelinesExitTwo() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: noop}\n"])
        let cli = CLI(cwd: repo.path)
        #expect(try cli.run("run", "web", "--no-such-flag").status == 2)
        let unknown = try cli.run("run", "nope")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no pipeline 'nope'"))
        #expect(unknown.stderr.contains("known: web"))
        #expect(try cli.run("run", "web", "--commit", "no-such-branch").status == 2)
        #expect(try cli.run("show", "web-99").status == 2)
        #expect(try cli.run("runs", "--status", "sideways").status == 2)
    }

    @Test func runsListFullShasMarksDryRunsAndNamesRecordedPipelines() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: noop}\n"])
        let cli = CLI(cwd: repo.path)
        #expect(try cli.run("run", "web").status == 0)
        #expect(try cli.run("run", "web", "--dry-run").status == 0)
        let sha = try repo.git("rev-parse", "HEAD")
        let json = try cli.run("runs", "--json").stdout
        let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        #expect(list.count == 2)
        #expect(list.allSatisfy { $0["sha"] as? String == sha }, "\(json)")
        #expect(try cli.run("runs").stdout.contains("succeeded (dry run)"))
        let none = try cli.run("runs", "--pipeline", "nope").stdout
        #expect(none.contains("no runs of pipeline 'nope'") && none.contains("it has runs of: web"), "\(none)")
    }

    @Test func aPipelineIsFoundByItsNameKeyToo() throws {
        let repo = try repoWith([
            "web": "name: web-canary\n" + localTarget + "stages:\n  - {uses: noop}\n",
            "api": "name: twin\n" + localTarget + "stages:\n  - {uses: noop}\n",
            "api2": "name: twin\n" + localTarget + "stages:\n  - {uses: noop}\n",
        ])
        let cli = CLI(cwd: repo.path)
        let byName = try cli.run("run", "web-canary")
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(byName.stdout.contains("web-canary-1"))
        let ambiguous = try cli.run("run", "twin")
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("ambiguous: pipelines/api.yml, pipelines/api2.yml"), "\(ambiguous.stderr)")
        let unknown = try cli.run("run", "nope")
        #expect(unknown.stderr.contains("web (name: web-canary)"), "\(unknown.stderr)")
    }

    @Test func readsThePipelineFromTheCommitNotTheWorkTree() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: echo, with: {v: one}}\n"])
        let first = try repo.git("rev-parse", "HEAD")
        try repo.write("pipelines/web.yml", localTarget + "stages:\n  - {uses: echo, with: {v: two}}\n")
        try repo.commit("second")
        try repo.write("pipelines/web.yml", localTarget + "stages:\n  - {uses: echo, with: {v: uncommitted}}\n")
        let cli = CLI(cwd: repo.path)
        let head = try cli.run("run", "web", "--json")
        #expect(head.stdout.contains("\"v\" : \"two\""))
        let old = try cli.run("run", "web", "--commit", String(first.prefix(8)), "--json")
        #expect(old.stdout.contains("\"v\" : \"one\""))
        #expect(old.stdout.contains(first))
    }

    @Test func secondRunOnALockedTargetExitsThreeWithNoWait() async throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: sleep, with: {duration: 3s}}\n"])
        let cli = CLI(cwd: repo.path)
        let first = try cli.start("run", "web")
        let started = await eventually { first.stdoutSoFar.contains("stage sleep started") }
        #expect(started)
        let second = try cli.run("run", "web", "--no-wait")
        #expect(second.status == 3)
        #expect(second.stderr.contains("is being deployed by web"))
        #expect(first.wait().status == 0)
    }

    @Test func waitingRunSaysSoAndRunsAfter() async throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: sleep, with: {duration: 5s}}\n"])
        let cli = CLI(cwd: repo.path)
        let first = try cli.start("run", "web")
        #expect(await eventually(.seconds(30)) { first.stdoutSoFar.contains("stage sleep started") })
        let second = try cli.run("run", "web")
        #expect(second.status == 0)
        #expect(second.stderr.contains("waiting for target local/-/-/web"))
        #expect(first.wait().status == 0)
    }

    @Test func sigintCancelsTheStageAndRunsOnFailure() async throws {
        let repo = try repoWith([
            "web": localTarget
                + "stages:\n  - {uses: sleep, with: {duration: 60s}}\non_failure:\n  - {uses: echo, id: undo}\n"
        ])
        let cli = CLI(cwd: repo.path)
        let run = try cli.start("run", "web")
        _ = await eventually { run.stdoutSoFar.contains("stage sleep started") }
        run.signal(SIGINT)
        let out = run.wait()
        #expect(out.status == 1)
        let show = try cli.run("show", "web-1", "--json")
        #expect(show.stdout.contains("\"status\" : \"rolled_back\""))
        #expect(show.stdout.contains("\"status\" : \"cancelled\""))
    }

    @Test func secondSignalRecordsInterrupted() async throws {
        let repo = try repoWith([
            "web": localTarget
                + "stages:\n  - {uses: noop}\n  - {uses: fail}\non_failure:\n  - {uses: sleep, with: {duration: 60s}}\n"
        ])
        let cli = CLI(cwd: repo.path)
        let run = try cli.start("run", "web")
        _ = await eventually { run.stdoutSoFar.contains("stage sleep started") }
        run.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        run.signal(SIGTERM)
        let out = run.wait()
        #expect(out.status == 130)
        let show = try cli.run("show", "web-1", "--json")
        #expect(show.stdout.contains("\"status\" : \"interrupted\""))
    }

    @Test func secretsFromTheEnvironmentAreMaskedInLogsAndRecords() throws {
        let secret = "AKIDEXAMPLESECRETVALUE123"
        let repo = try repoWith([
            "web": localTarget + "stages:\n  - {uses: echo, with: {token: \"${{ env.AWS_SECRET_ACCESS_KEY }}\"}}\n"
        ])
        let cli = CLI(cwd: repo.path, environment: ["AWS_SECRET_ACCESS_KEY": secret])
        let out = try cli.run("run", "web")
        #expect(out.status == 0)
        #expect(!out.stdout.contains(secret))
        let logs = try cli.run("logs", "web-1")
        #expect(logs.stdout.contains("token=***"))
        let folder = repo.path + "/.pipeline/runs/web/1"
        for file in ["run.json", "events.jsonl", "logs/echo.log"] {
            let text = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
            #expect(!text.contains(secret), "\(file) leaks the secret")
        }
    }
}
