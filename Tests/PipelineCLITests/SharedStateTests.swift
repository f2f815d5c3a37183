import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several machines, one state in S3 (moto's S3, conditional writes enforced), deploying to the
/// simulated ECS: each "machine" is a clone of the repository in a folder of its own with a HOME of
/// its own, so nothing but the bucket is shared.
@Suite(.serialized) struct SharedStateTests {
    typealias Setup = ECSPipelineTests.Setup

    /// One machine: a working folder (a clone) and a HOME.
    struct Machine {
        let folder: String
        let environment: [String: String]

        func run(_ arguments: [String], binary: String = CLI.stockBinary, extra: [String: String] = [:]) async throws
            -> ProcessRunner.Output
        {
            let (folder, env) = (folder, environment.merging(extra) { _, new in new })
            return try await offThread { try ProcessRunner.run(binary, arguments, cwd: folder, environment: env) }
        }

        func start(_ arguments: [String], binary: String = CLI.stockBinary) throws -> ProcessRunner.Running {
            try ProcessRunner.start(binary, arguments, cwd: folder, environment: environment)
        }

        /// `pipeline runs --json` as seen from this machine.
        func runs(limit: Int) async throws -> [[String: Any]] {
            let out = try await run(["runs", "--json", "--limit", String(limit)])
            return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]) ?? []
        }
    }

    static func bucket(_ s: Setup) async throws -> String {
        let name = "state-\(s.name)"
        _ = try await s.fixture("bucket", name)
        return "s3://\(name)/ci"
    }

    /// A machine with its own clone of `repo` (nil: an empty folder) and HOME, using `state`.
    static func machine(_ s: Setup, state: String, ttl: String = "30s", clone: Bool = true) async throws -> Machine {
        let folder = NSTemporaryDirectory() + "machine-\(UUID().uuidString.prefix(8))"
        if clone {
            let source = s.repo.path
            let out = try await offThread { try ProcessRunner.run("git", ["clone", "-q", source, folder]) }
            guard out.status == 0 else { throw NSError(domain: out.stderr, code: 1) }
        } else {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let home = folder + "-home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var env = s.cli.environment
        env["HOME"] = home
        env["PIPELINE_STATE_DIR"] = state
        env["PIPELINE_LEASE_TTL"] = ttl
        return Machine(folder: folder, environment: env)
    }

    static func record(_ machine: Machine, _ id: String) async throws -> [String: Any] {
        let out = try await machine.run(["show", id, "--json"])
        return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    static func date(_ value: Any?) -> Date? { (value as? String).flatMap(Timestamp.parse) }

    @Test func twoMachinesDeployOneServiceStrictlyOneAfterTheOther() async throws {
        let s = try await ECSPipelineTests.setup(bake: "10s")
        let state = try await Self.bucket(s)
        let a = try await Self.machine(s, state: state)
        let b = try await Self.machine(s, state: state)
        let first = try a.start(["run", "web"])
        #expect(await eventually(.seconds(30)) { first.stdoutSoFar.contains("stage bake started") })
        // The other machine sees the lock in the bucket and names its holder.
        let refused = try await b.run(["run", "web", "--no-wait"])
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("run web-1"), "\(refused.stderr)")
        #expect(refused.stderr.contains("pid \(first.process.processIdentifier)"), "\(refused.stderr)")
        // Without --no-wait it waits, then deploys.
        let second = try b.start(["run", "web"])
        let outA = await offThread { first.wait() }
        let outB = await offThread { second.wait() }
        #expect(outA.status == 0, "\(outA.stdout)\(outA.stderr)")
        #expect(outB.status == 0, "\(outB.stdout)\(outB.stderr)")
        #expect(outB.stderr.contains("waiting for target"), "\(outB.stderr)")
        // A third machine with no clone sees both runs.
        let c = try await Self.machine(s, state: state, clone: false)
        let runs = try await c.run(["runs", "--json"])
        let list = (try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(Set(list.compactMap { $0["id"] as? String }) == ["web-1", "web-2"], "\(runs.stdout)")
        let one = try await Self.record(c, "web-1")
        let two = try await Self.record(c, "web-2")
        let oneEnded = try #require(Self.date(one["ended_at"]))
        let twoStages = (two["stages"] as? [[String: Any]]) ?? []
        let twoFirst = try #require(twoStages.compactMap { Self.date($0["started_at"]) }.min())
        #expect(oneEnded <= twoFirst, "web-1 ended \(oneEnded), web-2 started a stage at \(twoFirst)")
        #expect(one["status"] as? String == "succeeded")
        #expect(two["status"] as? String == "succeeded")
    }

    @Test func killNineOfTheHolderIsRecoveredByAnotherMachineAfterTheTTL() async throws {
        let s = try await ECSPipelineTests.setup(bake: "30s")
        let state = try await Self.bucket(s)
        let before = try await s.service(s.name)["taskDefinition"] as? String
        let a = try await Self.machine(s, state: state, ttl: "10s")
        let b = try await Self.machine(s, state: state, ttl: "10s")
        let run = try a.start(["run", "web"])
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("stage bake started") })
        run.signal(SIGKILL)
        _ = await offThread { run.wait() }
        let killedAt = ContinuousClock.now
        // The dead holder's lease stands until its TTL runs out.
        let held = try await b.run(["run", "web", "--no-wait"])
        if ContinuousClock.now - killedAt < .seconds(6) {
            #expect(held.status == 3, "\(held.stdout)\(held.stderr)")
        }
        let recovered = try await b.run(["recover", "web-1"])
        #expect(recovered.status == 0, "\(recovered.stdout)\(recovered.stderr)")
        #expect(ContinuousClock.now - killedAt >= .seconds(6))
        #expect(try await s.service("\(s.name)-canary")["desiredCount"] as? Int == 0)
        #expect(try await s.service(s.name)["taskDefinition"] as? String == before)
        let record = try await Self.record(b, "web-1")
        #expect(record["status"] as? String == "rolled_back", "\(record)")
        #expect(record["recovery"] != nil)
        // The next run on the first machine finds nothing left to recover and deploys.
        let next = try await a.run(["run", "web", "--no-wait"])
        #expect(!next.stderr.contains("recovering"), "\(next.stderr)")
    }

    @Test func rollbackFromAFreshLocalStateReturnsToTheLastPromotedRevision() async throws {
        let s = try await ECSPipelineTests.setup(bake: "1s")
        // Machine A (its own local state) promotes v1.
        #expect(try await s.run(["run", "web"]).status == 0)
        let promoted = try await s.service(s.name)["taskDefinition"] as? String
        // A broken commit registers a revision and never gets promoted.
        #expect(try await s.run(["run", "web"], environment: ["IMAGE_PREFIX": "broken-"]).status == 1)
        // Machine B, with a fresh local state, promotes v2, then its DNS stage fails.
        let text = try String(contentsOfFile: s.repo.path + "/pipelines/web.yml", encoding: .utf8)
        let zone = s.fx["hosted_zone_id"] as! String
        try s.repo.write(
            "pipelines/web.yml",
            text.replacingOccurrences(of: "hosted_zone_id: \(zone)", with: "hosted_zone_id: ZNOSUCHZONE"))
        try s.repo.commit("v2 with a bad zone")
        let b = try await Self.machine(s, state: NSTemporaryDirectory() + "fresh-\(UUID().uuidString.prefix(8))")
        let out = try await b.run(["run", "web"])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("rolled_back"), "\(out.stdout)")
        #expect(try await s.service(s.name)["taskDefinition"] as? String == promoted)
        let log = try await b.run(["logs", "web-1", "--stage", "rollback"])
        #expect(log.stdout.contains("tagged as promoted by web-1"), "\(log.stdout)")
        let tags = try await s.fixture("describe-td", promoted ?? "")["tags"] as? [[String: Any]] ?? []
        #expect(tags.contains { $0["key"] as? String == "pipeline:promoted-at" })
    }

    @Test func noSecretReachesTheBucket() async throws {
        let s = try await ECSPipelineTests.setup(bake: "1s")
        let state = try await Self.bucket(s)
        let secret = "hunter2-\(UUID().uuidString)"
        try s.repo.write(
            "pipelines/leak.yml",
            """
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: leak}
            stages:
              - uses: echo
                id: say
                with: {value: "${{ env.DB_PASSWORD }}"}
              - uses: fail
                with: {message: "boom ${{ env.DB_PASSWORD }}"}
            """)
        try s.repo.commit("leaky pipeline")
        let a = try await Self.machine(s, state: state)
        let out = try await a.run(["run", "leak"], binary: CLI.testkitBinary, extra: ["DB_PASSWORD": secret])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        let dump = try await s.fixture("bucket-dump", String(state.dropFirst(5).split(separator: "/")[0]))
        #expect(dump.count >= 4, "\(dump.keys)")
        #expect(dump.keys.contains { $0.hasSuffix("run.json") })
        for (key, value) in dump {
            #expect(!(value as? String ?? "").contains(secret), "\(key) holds the secret")
        }
        #expect(dump.values.contains { ($0 as? String)?.contains("boom ***") == true })
    }

    @Test func stateCopiesBetweenAFolderAndS3BothWays() async throws {
        let s = try await ECSPipelineTests.setup(bake: "1s")
        let bucket = try await Self.bucket(s)
        try s.repo.write(
            "pipelines/p.yml",
            """
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: p}
            stages:
              - uses: echo
                id: say
                with: {word: "hello from ${{ commit.short_sha }}"}
            """)
        try s.repo.write(
            "pipelines/q.yml",
            """
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: q}
            stages:
              - uses: fail
                with: {message: "asked to fail"}
            """)
        try s.repo.commit("copy pipeline")
        let local = NSTemporaryDirectory() + "copy-src-\(UUID().uuidString.prefix(8))"
        let a = try await Self.machine(s, state: local)
        #expect(try await a.run(["run", "p"], binary: CLI.testkitBinary).status == 0)
        #expect(try await a.run(["run", "q"], binary: CLI.testkitBinary).status == 1)
        let up = try await a.run(["state", "copy", local, bucket])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("copied 2 run(s)"), "\(up.stdout)")
        // Any machine reads the copied runs from S3.
        let b = try await Self.machine(s, state: bucket, clone: false)
        let runs = try await b.run(["runs"])
        #expect(runs.stdout.contains("p-1") && runs.stdout.contains("q-1"), "\(runs.stdout)")
        #expect(try await Self.record(b, "q-1")["status"] as? String == "failed")
        let log = try await b.run(["logs", "p-1", "--stage", "say"])
        #expect(log.stdout.contains("hello from"), "\(log.stdout)\(log.stderr)")
        // And back into a fresh folder; a second copy leaves what is there.
        let back = NSTemporaryDirectory() + "copy-dst-\(UUID().uuidString.prefix(8))"
        #expect(try await b.run(["state", "copy", bucket, back]).status == 0)
        let again = try await b.run(["state", "copy", bucket, back])
        #expect(again.stdout.contains("already in"), "\(again.stdout)")
        let c = try await Self.machine(s, state: back, clone: false)
        let events = try await c.run(["show", "q-1", "--json"])
        #expect(events.stdout.contains("asked to fail"), "\(events.stdout)")
        // The next run in the copied folder continues the numbering.
        let d = try await Self.machine(s, state: back)
        #expect(try await d.run(["run", "p"], binary: CLI.testkitBinary).status == 0)
        #expect(try await d.run(["runs"]).stdout.contains("p-2"))
        let bad = try await d.run(["state", "copy", NSTemporaryDirectory() + "nothing-here", bucket])
        #expect(bad.status == 2, "\(bad.stderr)")
    }

    /// A watch replica killed in the middle of a run: another replica takes its target over once the
    /// lease lapses (TTL 3 s), recovers the run, and does not deploy the commit a second time.
    @Test func aReplicaKilledMidRunIsTakenOverWithoutASecondDeploy() async throws {
        let s = try await ECSPipelineTests.setup(bake: "1s")
        let state = try await Self.bucket(s)
        try s.repo.write(
            "pipelines/slow.yml",
            """
            on:
              push:
                branches: [main]
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: slow}
            stages:
              - uses: sleep
                id: long
                with: {duration: 120s}
            """)
        try s.repo.commit("slow pipeline")
        let sha = try s.repo.git("rev-parse", "HEAD")
        let first = try await Self.machine(s, state: state, ttl: "3s", clone: false)
        let replicaA = try first.start(
            ["watch", "--repo", s.repo.path, "--poll", "200ms", "--branch", "main"], binary: CLI.testkitBinary)
        let observer = try await Self.machine(s, state: state, clone: false)
        func records() async throws -> [[String: Any]] { try await observer.runs(limit: 50) }
        #expect(
            await eventually(.seconds(60)) { try await records().contains { $0["status"] as? String == "running" } })
        replicaA.signal(SIGKILL)
        _ = await offThread { replicaA.wait() }
        let killedAt = ContinuousClock.now
        let second = try await Self.machine(s, state: state, ttl: "3s", clone: false)
        let replicaB = try second.start(
            ["watch", "--repo", s.repo.path, "--poll", "200ms", "--branch", "main"], binary: CLI.testkitBinary)
        defer {
            replicaB.signal(SIGKILL)
            _ = replicaB.wait()
        }
        let recovered = await eventually(.seconds(60)) {
            try await records().first { $0["sha"] as? String == sha }?["status"] as? String != "running"
        }
        #expect(recovered, "\(replicaB.stdoutSoFar)")
        print("watch replica killed mid-run: taken over after \(ContinuousClock.now - killedAt)")
        try await Task.sleep(for: .seconds(2))
        let mine = try await records().filter { $0["sha"] as? String == sha }
        #expect(mine.count == 1, "\(mine)")
        #expect(
            replicaB.stdoutSoFar.contains("handled by another watch process")
                || replicaB.stdoutSoFar.contains("not run again"), "\(replicaB.stdoutSoFar)")
    }

    /// Three `watch` processes on one repository and one S3 state; 20 commits: each commit gets exactly
    /// one record (a run, or superseded by a newer one).
    @Test func threeWatchReplicasRunEachCommitOnce() async throws {
        let s = try await ECSPipelineTests.setup(bake: "1s")
        let state = try await Self.bucket(s)
        try s.repo.write(
            "pipelines/w.yml",
            """
            on:
              push:
                branches: [main]
            target: {provider: aws, region: us-east-1, cluster: \(s.name), service: w}
            stages:
              - uses: sleep
                with: {duration: 150ms}
            """)
        try s.repo.commit("watched pipeline")
        var replicas: [ProcessRunner.Running] = []
        for _ in 0..<3 {
            let machine = try await Self.machine(s, state: state, ttl: "3s", clone: false)
            replicas.append(
                try machine.start(["watch", "--repo", s.repo.path, "--poll", "200ms"], binary: CLI.testkitBinary))
        }
        defer {
            for replica in replicas {
                replica.signal(SIGKILL)
                _ = replica.wait()
            }
        }
        let observer = try await Self.machine(s, state: state, clone: false)
        func records() async throws -> [[String: Any]] { try await observer.runs(limit: 200) }
        #expect(await eventually(.seconds(30)) { try await records().count >= 1 })
        var shas: [String] = []
        for i in 0..<20 {
            try s.repo.write("w.txt", "\(i)")
            try s.repo.commit("change \(i)")
            shas.append(try s.repo.git("rev-parse", "HEAD"))
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
        }
        let settled = await eventually(.seconds(150)) {
            let all = try await records()
            let final = all.filter { $0["status"] as? String != "running" }
            return shas.allSatisfy { sha in final.contains { $0["sha"] as? String == sha } }
        }
        let all = try await records()
        #expect(settled, "\(all.map { "\($0["id"]!) \($0["status"]!) \(($0["sha"] as? String)?.prefix(7) ?? "")" })")
        for sha in shas {
            let mine = all.filter { $0["sha"] as? String == sha }
            #expect(mine.count == 1, "\(sha.prefix(7)): \(mine.map { "\($0["id"]!) \($0["status"]!)" })")
            #expect(
                mine.allSatisfy { ["succeeded", "superseded"].contains($0["status"] as? String ?? "") },
                "\(mine)")
        }
        let ran = all.filter { $0["status"] as? String == "succeeded" }.count
        #expect(ran >= 2)
        let superseded = all.filter { $0["status"] as? String == "superseded" }.count
        print("3 watch replicas, 20 commits: \(ran) runs, \(superseded) superseded, \(all.count) records")
    }
}
