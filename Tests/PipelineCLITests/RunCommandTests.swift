import Foundation
import PipelineTestKit
import PipelineTestSupport
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

    @Test func theEnclosingRepositoryIsFoundFromASubfolderAndNoneMeansWorkTreeOnly() throws {
        let repo = try repoWith(
            ["web": localTarget + "stages:\n  - {uses: noop}\n"], files: ["services/web/x.txt": "x"])
        let sha = try repo.git("rev-parse", "HEAD")
        let sub = CLI(cwd: repo.path + "/services/web")
        let out = try sub.run("run", "web", "--json", "--state-dir", repo.path + "/.pipeline")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains(sha))
        // Outside any repository: refused unless --work-tree says to use the files as they are.
        let plain = NSTemporaryDirectory() + "plain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: plain + "/pipelines", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: plain) }
        try (localTarget + "stages:\n  - {uses: noop}\n").write(
            toFile: plain + "/pipelines/web.yml", atomically: true, encoding: .utf8)
        let outside = CLI(cwd: plain)
        let refused = try outside.run("run", "web")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is not inside a git repository"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--work-tree"))
        let workTree = try outside.run("run", "web", "--work-tree", "--json")
        #expect(workTree.status == 0, "\(workTree.stderr)")
        #expect(workTree.stdout.contains("\"sha\" : \"0000000\""), "\(workTree.stdout)")
    }

    @Test func validateChecksWhatRunDeploysAndSaysWhatIsUncommitted() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: noop}\n"])
        try repo.write("pipelines/web.yml", localTarget + "stages:\n  - {uses: noop, timout: 5s}\n")
        let cli = CLI(cwd: repo.path)
        let head = try cli.run("validate")
        #expect(head.status == 0, "\(head.stderr)")
        #expect(head.stderr.contains("pipelines/web.yml has uncommitted changes"), "\(head.stderr)")
        let files = try cli.run("validate", "--work-tree")
        #expect(files.status == 2)
        #expect(files.stderr.contains("timout"), "\(files.stderr)")
        try repo.write("pipelines/new.yml", localTarget + "stages:\n  - {uses: noop}\n")
        let uncommitted = try cli.run("validate", "pipelines/new.yml")
        #expect(uncommitted.status == 2)
        #expect(uncommitted.stderr.contains("pipelines/new.yml is not committed"), "\(uncommitted.stderr)")
    }

    @Test func validateReportsEveryLayerInOnePass() throws {
        let repo = try repoWith([
            "web": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\nstages:\n"
                + "  - {uses: build-task-definition, with: {template: missing.json}}\n"
                + "  - {uses: canary-deplyo}\n"
        ])
        let out = try CLI(cwd: repo.path).run("validate", binary: CLI.stockBinary)
        #expect(out.status == 2)
        #expect(out.stderr.contains("unknown stage 'canary-deplyo'"), "\(out.stderr)")
        #expect(out.stderr.contains("missing.json"), "\(out.stderr)")
        // `run` reports the same, before anything starts.
        let run = try CLI(cwd: repo.path).run("run", "web", binary: CLI.stockBinary)
        #expect(run.status == 2)
        #expect(
            run.stderr.contains("unknown stage 'canary-deplyo'") && run.stderr.contains("missing.json"), "\(run.stderr)"
        )
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

/// The spinner on a narrow terminal: each redraw fits the width (so `\r` rewrites it in place instead of
/// leaving wrapped copies behind) and shows the log line's message, not a timestamp cut in half.
@Suite struct NarrowTerminalTests {
    @Test func spinnerLinesFitFortyColumns() async throws {
        let long = String(repeating: "the canary waits for its targets to pass health checks ", count: 3)
        let script = "#!/bin/sh\ncat >/dev/null\necho '\(long)' >&2\nsleep 2\necho '{\"status\": \"succeeded\"}'\n"
        let repo = try GitFixture()
        try repo.write("stages/slow", script, executable: true)
        try repo.write("pipelines/web.yml", localTarget + "stages:\n  - {uses: ./stages/slow, id: slow}\n")
        try repo.commit("slow")
        let command = "stty cols 40 rows 20; '\(CLI.stockBinary)' run web"
        let path = repo.path
        let out = try await offThread {
            try ProcessRunner.run(
                "script", ["-qec", command, "/dev/null"], cwd: path,
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "TERM": "xterm"])
        }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let ansi = try Regex(#"\x1B\[[0-9;]*[A-Za-z]"#)
        let segments = out.stdout.replacing(ansi, with: "").split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        let spinner = segments.filter {
            ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"].contains(String($0.prefix(1)))
        }
        #expect(!spinner.isEmpty, "no spinner line in: \(out.stdout)")
        for line in spinner { #expect(line.count <= 39, "'\(line)' is \(line.count) wide") }
        #expect(spinner.contains { $0.contains("the canary") }, "the message part is shown: \(spinner)")
        #expect(!spinner.contains { $0.contains("INFO") || $0.contains("Z ") })
    }
}
