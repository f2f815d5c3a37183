import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

/// Hostile input and faults, through the real CLI.
@Suite struct FaultTests {
    /// A pipeline against an endpoint nothing listens on.
    static func deadEndpointRepo(alarms: Bool) throws -> GitFixture {
        var stages = """
            stages:
              - {uses: build-task-definition, id: build, with: {template: td.json, image: "repo/app:${{ commit.sha }}"}}
              - {uses: register-task-definition, id: register}
              - {uses: canary-deploy, id: canary}

            """
        if alarms { stages += "  - {uses: alarm-watch, id: bake, with: {alarms: [web-5xx], bake_time: 1s}}\n" }
        let repo = try repoWith(
            [
                "web": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\n" + stages
                    + "on_failure:\n  - {uses: rollback}\n"
            ],
            files: [
                "td.json":
                    #"{"family": "web", "containerDefinitions": [{"name": "app", "image": "x", "memory": 128}]}"#
            ])
        return repo
    }

    @Test(arguments: [true, false])
    func refusedEndpointFailsWithinSecondsNamingIt(alarms: Bool) async throws {
        let repo = try Self.deadEndpointRepo(alarms: alarms)
        let cli = CLI(
            cwd: repo.path,
            environment: [
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
            ])
        let started = ContinuousClock.now
        let out = try await cli.stock(["run", "web"])
        let took = ContinuousClock.now - started
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("could not connect to http://127.0.0.1:9: connection refused"), "\(out.stdout)")
        #expect(!out.stdout.contains("errno"))
        // One attempt: a refused connection is not retried, nor re-dialled by the pool until a deadline.
        // (How fast that is, is a figure for `scripts/bench`; an unloaded run takes ~0.1 s.)
        #expect(!out.stdout.contains(" attempts"), "\(out.stdout)")
        #expect(took < .seconds(120), "took \(took)")
        print("refused endpoint (alarm baseline first: \(alarms)): failed in \(took)")
    }

    /// A pushed "billion laughs" pipeline file: `validate` and `run` exit 2 naming the line, fast and small.
    @Test func aliasBombIsRefusedWithinAMemoryBound() async throws {
        var bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (name, previous) in zip("bcdefghi", "abcdefgh") {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        bomb += "target: {provider: aws, region: us-east-1, cluster: c, service: web}\nstages: [*i]\n"
        let repo = try repoWith(["bomb": bomb])
        for command in [["validate"], ["run", "bomb"]] {
            // Measured by python's getrusage over the one child: its peak resident memory in KiB.
            let script =
                "import resource,subprocess,sys; r=subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                + "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr)"
            let path = repo.path
            let out = try await offThread {
                try ProcessRunner.run(
                    "python3", ["-c", script, CLI.stockBinary] + command, cwd: path,
                    environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
            }
            let first = out.stdout.split(separator: "\n").first?.split(separator: " ") ?? []
            #expect(first.first == "2", "\(command): \(out.stdout)\(out.stderr)")
            let peakKiB = Int(first.last ?? "") ?? .max
            #expect(peakKiB < 256 * 1024, "\(command): peak RSS \(peakKiB) KiB")
            #expect(out.stdout.contains("pipelines/bomb.yml:1:4"), "\(out.stdout)")
            #expect(out.stdout.contains("YAML anchor"), "\(out.stdout)")
            print("alias bomb, \(command.joined(separator: " ")): exit 2, peak RSS \(peakKiB / 1024) MiB")
        }
    }

    @Test func taskDefinitionsOverECSLimitsAreRefusedBeforeAnyCall() async throws {
        let containers = (0..<11).map { #"{"name": "c\#($0)", "image": "x", "memory": 64}"# }.joined(separator: ",")
        let big = String(repeating: "v", count: 70_000)
        let repo = try repoWith(
            [
                "many": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\n"
                    + "stages:\n  - {uses: build-task-definition, with: {template: many.json}}\n",
                "big": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\n"
                    + "stages:\n  - {uses: build-task-definition, with: {template: big.json}}\n",
            ],
            files: [
                "many.json": #"{"family": "web", "containerDefinitions": [\#(containers)]}"#,
                "big.json":
                    #"{"family": "web", "containerDefinitions": [{"name": "a", "image": "x", "memory": 64, "environment": [{"name": "V", "value": "\#(big)"}]}]}"#,
            ])
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"]
        let cli = CLI(cwd: repo.path, environment: env)
        for (name, message) in [
            ("many", "11 containers; ECS takes at most 10 per task definition"),
            ("big", "ECS takes at most 65536"),
        ] {
            let out = try await cli.stock(["run", name])
            #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains(message), "\(out.stderr)")
        }
    }

    /// A secret in a task-definition field is refused before anything runs; nothing on disk holds it.
    @Test func secretValuedTaskDefinitionFieldIsRefusedAndNeverWritten() async throws {
        let secret = "s3cr3t-\(UUID().uuidString)"
        let repo = try repoWith(
            [
                "web": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\n"
                    + "stages:\n  - {uses: build-task-definition, with: {template: td.json, "
                    + "image: \"repo/app:${{ env.AWS_SECRET_ACCESS_KEY }}\"}}\n"
                    + "  - {uses: register-task-definition}\n"
            ],
            files: [
                "td.json": #"""
                {"family": "web", "containerDefinitions": [{"name": "app", "image": "x", "memory": 64,
                 "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}]}]}
                """#
            ])
        let env = [
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": secret,
        ]
        let cli = CLI(cwd: repo.path, environment: env)
        for arguments in [["run", "web"], ["run", "web", "--dry-run"]] {
            let out = try await cli.stock(arguments)
            #expect(out.status == 2, "\(arguments): \(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains("containerDefinitions[0].image: holds the value of a secret"), "\(out.stderr)")
            #expect(out.stderr.contains("`secrets` (valueFrom"))
            #expect(!(out.stdout + out.stderr).contains(secret))
        }
        // Nothing under the repository (where the state folder is) holds the secret.
        let grep = try ProcessRunner.run("grep", ["-rl", secret, repo.path])
        #expect(grep.stdout.isEmpty, "\(grep.stdout)")
    }

    /// In a plain folder (not a git repository): a template that is a symbolic link out of the folder is
    /// refused, and a file name that is not a plain name cannot name runs.
    @Test func pathsAndNamesStayInsideTheirRoots() async throws {
        let folder = NSTemporaryDirectory() + "plain-\(UUID().uuidString)"
        let outside = NSTemporaryDirectory() + "outside-\(UUID().uuidString).json"
        try FileManager.default.createDirectory(atPath: folder + "/pipelines", withIntermediateDirectories: true)
        try #"{"family": "web", "containerDefinitions": [{"name": "a", "image": "x", "memory": 64}]}"#
            .write(toFile: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/td.json", withDestinationPath: outside)
        let stages = "stages:\n  - {uses: build-task-definition, with: {template: td.json}}\n"
        try ("target: {provider: aws, region: us-east-1, cluster: c, service: web}\n" + stages)
            .write(toFile: folder + "/pipelines/web.yml", atomically: true, encoding: .utf8)
        try ("target: {provider: local, service: web}\nstages:\n  - {uses: wait, with: {duration: 0s}}\n")
            .write(toFile: folder + "/pipelines/...yml", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let out = try await offThread {
            try ProcessRunner.run(
                CLI.stockBinary, ["validate"], cwd: folder,
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        }
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        let text = out.stdout + out.stderr
        #expect(text.contains("td.json is a symbolic link that leaves the repository"), "\(text)")
        #expect(text.contains("the file name gives the pipeline name '..'"), "\(text)")
        let run = try await offThread {
            try ProcessRunner.run(
                CLI.stockBinary, ["run", "pipelines/...yml", "--state-dir", folder + "/state"], cwd: folder,
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        }
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/state/runs/.."))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder + "/state/runs")) ?? [] == [])
    }

    /// The fuzzer's short run (scripts/fuzz runs the long one): every mutated pipeline, template and
    /// expression ends in a result or a clear error.
    @Test func fuzzShortRun() async throws {
        let binary = ProcessRunner.productsFolder.appendingPathComponent("pipeline-fuzz").path
        let seed = String(UInt32.random(in: 1...UInt32.max))
        let out = try await offThread { try ProcessRunner.run(binary, ["--inputs", "20000", "--seed", seed]) }
        #expect(out.status == 0, "seed \(seed): \(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("20000 inputs"), "\(out.stdout)")
        #expect(out.stdout.contains("0 unexpected errors"), "\(out.stdout)")
    }

    /// What a newcomer meets first: a bad flag says "error:" once; the default state folder inside the
    /// repository stays out of `git status`.
    @Test func newcomerBasics() async throws {
        let repo = try repoWith(["web": localTarget + "stages:\n  - {uses: wait, with: {duration: 0s}}\n"])
        let cli = CLI(cwd: repo.path)
        let bad = try await cli.stock(["run", "--foo"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("error: ") && !bad.stderr.contains("Error: "), "\(bad.stderr)")
        let run = try await cli.stock(["run", "web"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: repo.path + "/.pipeline/runs/web/1/run.json"))
        #expect(try repo.git("status", "--porcelain").isEmpty)
    }
}
