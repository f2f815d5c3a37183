import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

@Suite struct WatchTests {
    static let web = """
        on:
          push:
            branches: [main]
            paths: ["web/**"]
        target: {provider: local, service: web}
        stages:
          - {uses: echo, with: {sha: "${{ commit.short_sha }}"}}
        """
    static let api = """
        on:
          push:
            branches: ["release/*"]
            coalesce: false
        target: {provider: local, service: api}
        stages:
          - {uses: noop}
        """

    func runs(_ cli: CLI, _ state: String) throws -> [[String: Any]] {
        let out = try cli.run("runs", "--state-dir", state, "--json", "--limit", "100")
        return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func filtersCoalescingAndCursor() throws {
        let repo = try repoWith(["web": Self.web, "api": Self.api], files: ["web/a": "1"])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let first = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(first.status == 0)
        #expect(first.stdout.contains("api: branch main matches none of on.push.branches"))
        #expect(try runs(cli, state).map { $0["id"] as! String } == ["web-1"])

        // Nothing new: nothing runs (the cursor is kept across processes).
        let idle = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(!idle.stdout.contains("running"))

        try repo.write("web/a", "2")
        let two = try repo.commit("two")
        try repo.write("docs.txt", "x")
        try repo.commit("three: not under web/")
        try repo.write("web/a", "3")
        let four = try repo.commit("four")
        let second = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(second.stdout.contains("changes no path in on.push.paths"))
        let list = try runs(cli, state)
        #expect(list.map { $0["id"] as! String } == ["web-3", "web-2", "web-1"])
        #expect(list[0]["status"] as? String == "succeeded")
        #expect((list[0]["sha"] as? String).map { four.hasPrefix($0) } == true)
        #expect(list[1]["status"] as? String == "superseded")
        #expect((list[1]["sha"] as? String).map { two.hasPrefix($0) } == true)

        // A release branch: coalesce false runs each commit in order.
        try repo.git("checkout", "-q", "-b", "release/1")
        try repo.commit("r1")
        try repo.commit("r2")
        let third = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state, "--branch", "release/*")
        #expect(third.stdout.contains("web: branch release/1 matches none"))
        let api = try runs(cli, state).filter { $0["pipeline"] as? String == "api" }
        #expect(api.map { $0["status"] as! String } == ["succeeded", "succeeded"])
    }

    @Test func forcePushDeploysTheNewHead() throws {
        let repo = try repoWith(["web": Self.web], files: ["web/a": "1"])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        try repo.write("web/a", "2")
        try repo.commit("two")
        #expect(try cli.run("watch", "--repo", ".", "--once", "--state-dir", state).status == 0)
        try repo.git("reset", "-q", "--hard", "HEAD~1")
        try repo.write("web/a", "rewritten")
        let rewritten = try repo.commit("rewritten history")
        let out = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(out.stdout.contains("force push on main"))
        #expect((try runs(cli, state).first?["sha"] as? String).map { rewritten.hasPrefix($0) } == true)
    }

    @Test func remoteRepositoryIsMirroredOverFileURL() throws {
        let work = try repoWith(["web": Self.web], files: ["web/a": "1"])
        let bare = NSTemporaryDirectory() + "remote-\(UUID().uuidString).git"
        try ProcessRunner.run("git", ["clone", "-q", "--bare", work.path, bare])
        let state = NSTemporaryDirectory() + UUID().uuidString
        let cli = CLI(cwd: NSTemporaryDirectory())
        let first = try cli.run("watch", "--repo", "file://\(bare)", "--once", "--state-dir", state)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(try runs(cli, state).count == 1)
        try work.write("web/a", "2")
        let sha = try work.commit("two")
        try work.git("push", "-q", bare, "main")
        let second = try cli.run("watch", "--repo", "file://\(bare)", "--once", "--state-dir", state)
        #expect(second.status == 0)
        #expect((try runs(cli, state).first?["sha"] as? String).map { sha.hasPrefix($0) } == true)
    }

    @Test func continuousWatchNoticesCommitsAndStopsOnSIGTERM() async throws {
        let repo = try repoWith(["web": Self.web], files: ["web/a": "1"])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let watch = try cli.start("watch", "--repo", ".", "--state-dir", state)
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-1 succeeded") })
        try repo.write("web/a", "2")
        try repo.commit("two")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-2 succeeded") })
        watch.signal(SIGTERM)
        let out = watch.wait()
        #expect(out.status == 0)
        #expect(out.stdout.contains("shutting down"))
    }

    /// With polling every hour, only inotify on the refs can start these runs: a commit on main, a new
    /// branch in a folder created after the watch began (`release/2` under refs/heads/release), and a
    /// commit after `git pack-refs` moved every ref into packed-refs.
    @Test func refChangesWakeTheWatchWithoutPolling() async throws {
        let repo = try repoWith(["web": Self.web, "api": Self.api], files: ["web/a": "1"])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let watch = try cli.start("watch", "--repo", ".", "--state-dir", state, "--poll", "1h")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-1 succeeded") })
        #expect(watch.stdoutSoFar.contains("inotify on its refs"))
        try repo.write("web/a", "2")
        try repo.commit("two")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-2 succeeded") })
        try repo.git("checkout", "-q", "-b", "release/2")
        try repo.write("api.txt", "x")
        try repo.commit("release")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("api-1 succeeded") })
        try repo.git("checkout", "-q", "main")
        try repo.git("pack-refs", "--all")
        try repo.write("web/a", "3")
        try repo.commit("three")
        #expect(
            await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-3 succeeded") }, "\(watch.stdoutSoFar)")
        watch.signal(SIGTERM)
        #expect(watch.wait().status == 0)
    }

    /// `--no-inotify`: the watch polls only, and says so.
    @Test func noInotifyPollsOnly() async throws {
        let repo = try repoWith(["web": Self.web], files: ["web/a": "1"])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let watch = try cli.start("watch", "--repo", ".", "--state-dir", state, "--no-inotify", "--poll", "100ms")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-1 succeeded") })
        #expect(!watch.stdoutSoFar.contains("inotify"))
        try repo.write("web/a", "2")
        try repo.commit("two")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("web-2 succeeded") })
        watch.signal(SIGTERM)
        #expect(watch.wait().status == 0)
    }

    @Test func shutdownLetsTheRunningStageFinishOrCancelsItAfterTheGracePeriod() async throws {
        let slow = """
            on: {push: {branches: [main]}}
            target: {provider: local, service: slow}
            stages:
              - {uses: sleep, with: {duration: 60s}}
            on_failure:
              - {uses: echo, id: undo}
            """
        let repo = try repoWith(["slow": slow])
        let state = repo.path + "/../" + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let watch = try cli.start("watch", "--repo", ".", "--state-dir", state, "--grace-period", "1s")
        #expect(await eventually(.seconds(20)) { watch.stdoutSoFar.contains("stage sleep started") })
        watch.signal(SIGTERM)
        let out = watch.wait()
        #expect(out.status == 0)
        let record = try cli.run("show", "slow-1", "--state-dir", state).stdout
        #expect(record.contains("status    rolled_back"), "\(record)")
        #expect(record.contains("grace period over"))
    }

    @Test func badFlagsExitTwo() throws {
        let cli = CLI(cwd: NSTemporaryDirectory())
        #expect(try cli.run("watch", "--repo", ".", "--interval", "soon").status == 2)
        #expect(try cli.run("watch", "--repo", "/nonexistent/repo", "--once").status == 2)
    }
}

@Suite struct SignedCommitTests {
    @Test func onlySignedCommitsFromAllowedSignersDeploy() throws {
        let keys = NSTemporaryDirectory() + "keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        for name in ["good", "stranger"] {
            let out = try ProcessRunner.run(
                "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", "\(keys)/\(name)"])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let pub = try String(contentsOfFile: "\(keys)/good.pub", encoding: .utf8)
        try "author@example.com namespaces=\"git\" \(pub)".write(
            toFile: "\(keys)/allowed_signers", atomically: true, encoding: .utf8)
        let pipeline = """
            on:
              push:
                branches: [main]
                verify: {allowed_signers: \(keys)/allowed_signers}
            target: {provider: local, service: web}
            stages:
              - {uses: noop}
            """
        let repo = try GitFixture()
        try repo.git("config", "gpg.format", "ssh")
        try repo.write("pipelines/web.yml", pipeline)
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "unsigned")
        let state = NSTemporaryDirectory() + UUID().uuidString
        let cli = CLI(cwd: repo.path)
        let first = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(first.stdout.contains("rejected: the commit is not signed"))
        try repo.git("config", "user.signingkey", "\(keys)/stranger")
        try repo.git("commit", "-q", "--allow-empty", "-S", "-m", "signed by a stranger")
        let second = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(second.stdout.contains("rejected: no key in"))
        try repo.git("config", "user.signingkey", "\(keys)/good")
        try repo.git("commit", "-q", "--allow-empty", "-S", "-m", "signed")
        let third = try cli.run("watch", "--repo", ".", "--once", "--state-dir", state)
        #expect(third.stdout.contains("signed by author@example.com"), "\(third.stdout)")
        let runs = try cli.run("runs", "--state-dir", state).stdout
        #expect(runs.contains("web-3  succeeded"))
        #expect(runs.contains("web-2  rejected"))
        #expect(runs.contains("web-1  rejected"))
    }
}
