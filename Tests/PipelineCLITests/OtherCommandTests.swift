import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

@Suite struct OtherCommandTests {
    @Test func versionAndHelp() throws {
        let cli = CLI(cwd: NSTemporaryDirectory())
        let version = try cli.run("--version", binary: CLI.stockBinary)
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try cli.run("run", "--help", binary: CLI.stockBinary)
        #expect(help.status == 0)
        #expect(help.stdout.contains("--no-wait"))
        let completion = try cli.run("--generate-completion-script", "bash", binary: CLI.stockBinary)
        #expect(completion.stdout.contains("_pipeline"))
    }

    @Test func runsShowAndLogs() throws {
        let repo = try repoWith([
            "web": localTarget + "stages:\n  - {uses: echo, id: build, with: {image: x}}\n",
            "api": localTarget + "stages:\n  - {uses: fail, with: {message: broken}}\n",
        ])
        let cli = CLI(cwd: repo.path)
        try cli.run("run", "web")
        try cli.run("run", "api")
        try cli.run("run", "web")
        let runs = try cli.run("runs")
        let ids = runs.stdout.split(separator: "\n").dropFirst().map { String($0.split(separator: " ")[0]) }
        #expect(ids == ["web-2", "api-1", "web-1"])
        let failed = try cli.run("runs", "--status", "failed", "--json")
        #expect(failed.stdout.contains("\"api-1\""))
        #expect(!failed.stdout.contains("\"web-1\""))
        let limited = try cli.run("runs", "--pipeline", "web", "--limit", "1")
        #expect(limited.stdout.contains("web-2"))
        #expect(!limited.stdout.contains("web-1"))
        let show = try cli.run("show", "api-1")
        #expect(show.stdout.contains("status    failed"))
        #expect(show.stdout.contains("error: broken"))
        let logs = try cli.run("logs", "web-1", "--stage", "build")
        #expect(logs.stdout.contains("INFO image=x"))
        #expect(try cli.run("logs", "web-1", "--stage", "nope").status == 2)
    }

    @Test func logsFollowPrintsLinesUntilTheRunEnds() async throws {
        let repo = try repoWith([
            "web": localTarget + "stages:\n  - {uses: echo, with: {a: one}}\n  - {uses: sleep, with: {duration: 2s}}\n"
        ])
        let cli = CLI(cwd: repo.path)
        let run = try cli.start("run", "web")
        _ = await eventually { run.stdoutSoFar.contains("stage sleep started") }
        let follow = try cli.run("logs", "web-1", "--follow")
        #expect(follow.status == 0)
        #expect(follow.stdout.contains("[echo]"))
        #expect(follow.stdout.contains("[sleep]"))
        #expect(follow.stdout.contains("sleeping 2.0s"))
        #expect(run.wait().status == 0)
    }

    @Test func validateChecksEveryFileAndExitsTwoOnProblems() throws {
        let repo = try repoWith([
            "good": localTarget + "stages:\n  - {uses: noop}\n",
            "bad": localTarget + "stages:\n  - {uses: nope}\n",
        ])
        let cli = CLI(cwd: repo.path)
        let all = try cli.run("validate")
        #expect(all.status == 2)
        #expect(all.stdout.contains("✓ pipelines/good.yml"))
        #expect(all.stderr.contains("pipelines/bad.yml:3:5: stages[0].uses: unknown stage 'nope'"))
        #expect(try cli.run("validate", "pipelines/good.yml").status == 0)
    }

    @Test func stagesListsSummariesAndInputs() throws {
        let out = try CLI(cwd: NSTemporaryDirectory()).run("stages")
        #expect(out.stdout.contains("sleep — Waits for a duration"))
        #expect(out.stdout.contains("duration (duration, required)"))
        let stock = try CLI(cwd: NSTemporaryDirectory()).run("stages", binary: CLI.stockBinary)
        #expect(!stock.stdout.contains("sleep —"))
        #expect(stock.stdout.contains("wait —"))
    }

    @Test func unreadableStateDirIsAClearError() throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: noop}\n"])
        try "not a folder".write(toFile: repo.path + "/state", atomically: true, encoding: .utf8)
        let out = try CLI(cwd: repo.path).run("run", "web", "--state-dir", "state")
        #expect(out.status != 0)
        #expect(out.stderr.contains("state exists and is not a folder"))
    }
}

@Suite struct ReferencePipelineTests {
    @Test func referencePipelinesValidate() throws {
        let out = try CLI(cwd: repositoryRoot.path).run("validate", binary: CLI.stockBinary)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        for name in ["canary-with-rollback", "rolling", "canary-dns"] {
            #expect(out.stdout.contains("✓ pipelines/\(name).yml"))
        }
    }
}

@Suite struct AWSConfigurationErrorTests {
    static let pipeline = """
        target: {cluster: demo, service: web}
        stages:
          - {uses: build-task-definition, with: {template: td.json}}
          - {uses: register-task-definition}
        """

    @Test func missingRegionOrCredentialsIsBadInputBeforeARunStarts() throws {
        let repo = try repoWith(
            ["web": Self.pipeline],
            files: [
                "td.json": #"{"family": "web", "containerDefinitions": [{"name": "a", "image": "x", "memory": 128}]}"#
            ])
        let noRegion = try CLI(cwd: repo.path, environment: ["AWS_EC2_METADATA_DISABLED": "true"]).run(
            "run", "web", binary: CLI.stockBinary)
        #expect(noRegion.status == 2)
        #expect(noRegion.stderr.contains("no AWS region"))
        let noCredentials = try CLI(
            cwd: repo.path,
            environment: [
                "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
            ]
        ).run("run", "web", binary: CLI.stockBinary)
        #expect(noCredentials.status == 2)
        #expect(noCredentials.stderr.contains("no AWS credentials found"))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.pipeline/runs/web"))
    }
}
