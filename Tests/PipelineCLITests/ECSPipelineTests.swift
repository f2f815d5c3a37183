import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

/// Whole pipelines through the CLI binary against moto's server (ECS deployments advance by themselves).
@Suite struct ECSPipelineTests {
    // @unchecked: immutable after setup; `fx` holds only JSON values.
    struct Setup: @unchecked Sendable {
        let moto: SupportServer
        let name: String
        let fx: [String: Any]
        let repo: GitFixture
        let cli: CLI

        /// The fixture script, on a thread of its own: python's start-up must not hold one of the few
        /// cooperative threads that every other test's timers need.
        func fixture(_ arguments: String...) async throws -> [String: Any] {
            let endpoint = moto.endpoint
            let data = try await offThread {
                try JSONSerialization.data(withJSONObject: Moto.fixture(endpoint, arguments: arguments))
            }
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }

        func service(_ name: String) async throws -> [String: Any] { try await fixture("service", self.name, name) }
        func revisions() async throws -> [[String: Any]] {
            try await fixture("task-definitions", name)["revisions"] as? [[String: Any]] ?? []
        }

        /// Runs the stock CLI on a thread of its own.
        func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws
            -> ProcessRunner.Output
        {
            try await run(arguments, environment: extra)
        }

        func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws
            -> ProcessRunner.Output
        {
            var env = cli.environment
            env.merge(extra) { _, new in new }
            let (cwd, e) = (cli.cwd, env)
            return try await offThread { try ProcessRunner.run(CLI.stockBinary, arguments, cwd: cwd, environment: e) }
        }
    }

    static func pipeline(_ name: String, zone: String, bake: String = "1s") -> String {
        """
        target:
          provider: aws
          region: us-east-1
          cluster: \(name)
          service: \(name)
        stages:
          - uses: build-task-definition
            id: build
            with:
              template: services/web/task-definition.json
              image: "registry.example.com/web:${{ env.IMAGE_PREFIX || '' }}${{ commit.sha }}"
          - uses: register-task-definition
            id: register
          - uses: canary-deploy
            id: canary
            with: {poll_interval: 200ms, timeout: 30s}
          - uses: alarm-watch
            id: bake
            with: {alarms: [\(name)-5xx], bake_time: \(bake), poll_interval: 200ms}
          - uses: promote
            id: promote
            with: {poll_interval: 200ms, timeout: 30s}
          - uses: dns-alias
            id: dns
            with: {hosted_zone_id: \(zone), record_name: api.\(name).example.com, load_balancer: \(name)-lb, poll_interval: 200ms}
        on_failure:
          - uses: rollback
            with: {poll_interval: 200ms, timeout: 30s}
        """
    }

    static func taskDefinition(_ name: String) -> String {
        """
        {
          "family": "\(name)",
          "networkMode": "awsvpc",
          "requiresCompatibilities": ["FARGATE"],
          "cpu": "256",
          "memory": "512",
          "containerDefinitions": [
            {
              "name": "app",
              "image": "placeholder",
              "essential": true,
              "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
              "environment": [{"name": "COMMIT", "value": "${{ commit.short_sha }}"}]
            }
          ]
        }
        """
    }

    /// A fixture of its own in moto and a repository, made on a thread of its own.
    static func setup(bake: String = "1s", name: String? = nil) async throws -> Setup {
        try await offThread { try makeSetup(bake: bake, name: name) }
    }

    static func makeSetup(bake: String, name given: String? = nil) throws -> Setup {
        let moto = try Moto.shared()
        let name = given ?? "e2e\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        let repo = try GitFixture()
        try repo.write("pipelines/web.yml", pipeline(name, zone: fx["hosted_zone_id"] as! String, bake: bake))
        try repo.write("services/web/task-definition.json", taskDefinition(name))
        try repo.commit("v1")
        let cli = CLI(
            cwd: repo.path,
            environment: [
                "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
            ])
        return Setup(moto: moto, name: name, fx: fx, repo: repo, cli: cli)
    }

    @Test func goodCommitSucceedsAndRerunReusesTheRevision() async throws {
        let s = try await Self.setup()
        let sha = try s.repo.git("rev-parse", "HEAD")
        let out = try await s.run("run", "web")
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let revisions = try await s.revisions()
        #expect(revisions.count == 2)
        let newest = try #require(revisions.first { ($0["arn"] as? String)?.hasSuffix(":2") == true })
        #expect((newest["images"] as? [String]) == ["registry.example.com/web:\(sha)"])
        #expect(try await s.service(s.name)["taskDefinition"] as? String == newest["arn"] as? String)
        let canary = try await s.service("\(s.name)-canary")
        #expect(canary["desiredCount"] as? Int == 0)
        // The canary copied main's load balancer and network settings (from the description its stage read).
        let main = try await s.service(s.name)
        for field in ["loadBalancers", "networkConfiguration", "launchType"] {
            #expect(
                (canary[field] as? NSObject) == (main[field] as? NSObject) && canary[field] != nil,
                "\(field): \(canary[field] ?? "none") vs \(main[field] ?? "none")")
        }
        let records =
            try await s.fixture("records", s.fx["hosted_zone_id"] as! String)["records"] as? [[String: Any]] ?? []
        let alias = records.first { $0["Name"] as? String == "api.\(s.name).example.com." }
        #expect(
            (alias?["AliasTarget"] as? [String: Any])?["DNSName"] as? String == s.fx["load_balancer_dns"] as? String)

        // The AWS calls each stage made, as `show --json` records them: one DescribeServices for main and
        // canary before the change plus one per look (each look lists the tasks once: no second
        // DescribeServices inside it, none right after UpdateService), and the new revision's task
        // definition is not read back after registering it.
        let shown = try await s.run("show", "web-1", "--json")
        let record = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let stages = (record?["stages"] as? [[String: Any]]) ?? []
        func calls(_ id: String) -> [String: Int] {
            stages.first { $0["id"] as? String == id }?["api_calls"] as? [String: Int] ?? [:]
        }
        // (Creating the canary copies main's network settings from that description: no read of its own.)
        for (id, extra) in [("canary", 1), ("promote", 1)] {
            let looks = calls(id)["ECS.ListTasks", default: 0]
            #expect(looks >= 1, "\(id): \(calls(id))")
            #expect(calls(id)["ECS.DescribeServices"] == looks + extra, "\(id): \(calls(id))")
        }
        #expect(calls("canary")["ECS.CreateService"] == 1)
        // main to the new revision, the canary to 0
        #expect(calls("promote")["ECS.UpdateService"] == 2)
        #expect(calls("register")["ECS.RegisterTaskDefinition"] == 1)
        let reads = stages.map { ($0["api_calls"] as? [String: Int])?["ECS.DescribeTaskDefinition"] ?? 0 }
        #expect(reads.reduce(0, +) <= 2, "\(stages.map { $0["api_calls"] ?? [:] })")
        #expect(calls("bake")["CloudWatch.DescribeAlarms", default: 0] >= 1)

        // (d) The same commit again: no new revision, everything converges.
        let again = try await s.run("run", "web", "--json")
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(try await s.revisions().count == 2)
        #expect(again.stdout.contains("\"reused\" : true"))
    }

    @Test func alarmDuringBakeRollsBack() async throws {
        let s = try await Self.setup(bake: "20s")
        let before = try await s.service(s.name)["taskDefinition"] as? String
        let run = try ProcessRunner.start(
            CLI.stockBinary, ["run", "web"], cwd: s.repo.path, environment: s.cli.environment)
        let watching = await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") }
        #expect(watching)
        try await Task.sleep(for: .milliseconds(500))
        _ = try await s.fixture("set-alarm", "\(s.name)-5xx", "ALARM", "Threshold Crossed: 5xx > 1")
        let out = run.wait()
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("alarm \(s.name)-5xx went to ALARM"))
        #expect(out.stdout.contains("after the canary started: Threshold Crossed: 5xx > 1"))
        #expect(out.stdout.contains("rolled_back"))
        #expect(try await s.service(s.name)["taskDefinition"] as? String == before)
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
    }

    @Test func ctrlCDuringTheBakeLeavesNoCanaryUp() async throws {
        let s = try await Self.setup(bake: "60s")
        let before = try await s.service(s.name)["taskDefinition"] as? String
        let run = try ProcessRunner.start(
            CLI.stockBinary, ["run", "web"], cwd: s.repo.path, environment: s.cli.environment)
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") })
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 1)
        run.signal(SIGINT)
        let out = run.wait()
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("rolled_back"))
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        #expect(try await s.service(s.name)["taskDefinition"] as? String == before)
    }

    @Test func failedPromoteRollsBackToTheLastSucceededRun() async throws {
        let s = try await Self.setup()
        #expect(try await s.run("run", "web").status == 0)
        let good = try await s.service(s.name)["taskDefinition"] as? String
        try s.repo.commit("v2: an image ECS cannot start")
        let out = try await s.run("run", "web", environment: ["IMAGE_PREFIX": "broken-"])
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("FAILED"))
        #expect(out.stdout.contains("rolled_back"))
        #expect(try await s.service(s.name)["taskDefinition"] as? String == good)
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        let show = try await s.run("show", "web-2", "--json")
        #expect(show.stdout.contains("\"rolled_back_to\" : \"\(good!)\""))
    }

    @Test func dryRunChangesNothing() async throws {
        let s = try await Self.setup()
        let before = try await s.fixture("state", s.name)
        let out = try await s.run("run", "web", "--dry-run")
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("would register a new revision"))
        #expect(out.stdout.contains("+       \"image\": \"registry.example.com/web:"))
        // A unified diff: headers, and hunks named by the container and field they change.
        #expect(out.stdout.contains("--- arn:") && out.stdout.contains("+++ services/web/task-definition.json at "))
        #expect(
            out.stdout.range(
                of: #"@@ -\d+,\d+ \+\d+,\d+ @@ containerDefinitions\[app\]\.(image|environment)"#,
                options: .regularExpression)
                != nil, "\(out.stdout)")
        #expect(out.stdout.contains("would update \(s.name)"))
        let after = try await s.fixture("state", s.name)
        #expect(NSDictionary(dictionary: before).isEqual(to: after))
    }

    @Test func badInputStopsBeforeAnyChange() async throws {
        let s = try await Self.setup()
        try s.repo.write(
            "services/web/task-definition.json",
            Self.taskDefinition(s.name).replacingOccurrences(
                of: "\"essential\"", with: "\"memoryReservaton\": 128, \"essential\""))
        try s.repo.commit("typo")
        let before = try await s.fixture("state", s.name)
        let out = try await s.run("run", "web")
        #expect(out.status == 2)
        #expect(out.stderr.contains("services/web/task-definition.json:11:7: containerDefinitions[0].memoryReservaton"))
        #expect(
            out.stderr.contains(
                "'memoryReservaton' is not a field of a container definition (did you mean 'memoryReservation'?)"))
        #expect(NSDictionary(dictionary: before).isEqual(to: try await s.fixture("state", s.name)))
    }
}
