import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

/// Executable stage plugins (any language) and a Swift stage in a custom binary, through the CLI.
@Suite struct PluginTests {
    static let target = "target: {provider: local, service: web}\n"

    func repo(_ plugins: [String: String], pipeline: String, files: [String: String] = [:]) throws -> GitFixture {
        let repo = try GitFixture()
        for (name, script) in plugins { try repo.write("stages/\(name)", script, executable: true) }
        for (path, text) in files { try repo.write(path, text) }
        try repo.write("pipelines/p.yml", Self.target + pipeline)
        try repo.commit("plugins")
        return repo
    }

    @Test func repositoryPluginGetsTheRequestAndReturnsOutputs() throws {
        let script = """
            #!/bin/sh
            request=$(cat)
            echo "got: $request" >&2
            echo "env: SECRET=${SECRET_TOKEN:-unset} EXTRA=$EXTRA RUN=$PIPELINE_RUN_ID" >&2
            echo '{"status": "succeeded", "outputs": {"n": 3, "ok": true, "word": "hi"}}'
            """
        let r = try repo(
            ["smoke": script],
            pipeline: """
                stages:
                  - uses: ./stages/smoke
                    id: smoke
                    env: {EXTRA: "x-${{ commit.short_sha }}"}
                    with: {url: "http://example", count: 2}
                  - {uses: echo, id: after, with: {n: "${{ stages.smoke.outputs.n }}"}}
                """)
        let cli = CLI(cwd: r.path, environment: ["SECRET_TOKEN": "do-not-pass-me"])
        let out = try cli.run("run", "p", "--json")
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("\"word\" : \"hi\""))
        #expect(out.stdout.contains("\"ok\" : true"))
        let logs = try cli.run("logs", "p-1", "--stage", "smoke").stdout
        #expect(logs.contains("\"protocol\":1"))
        #expect(logs.contains("\"inputs\":{\"count\":2,\"url\":\"http://example\"}"))
        #expect(logs.contains("SECRET=unset"))
        #expect(logs.contains("EXTRA=x-"))
        #expect(logs.contains("RUN=p-1"))
        #expect(try cli.run("logs", "p-1", "--stage", "after").stdout.contains("n=3"))
    }

    @Test(arguments: [
        ("nothing", "#!/bin/sh\ncat >/dev/null\n", "printed nothing on stdout"),
        ("garbage", "#!/bin/sh\ncat >/dev/null\necho 'hello there'\n", "not one JSON object"),
        ("big", "#!/bin/sh\ncat >/dev/null\nhead -c 100000000 /dev/zero | tr '\\\\0' 'x'\n", "more than 1048576 bytes"),
        ("killed", "#!/bin/sh\ncat >/dev/null\necho partial >&2\nkill -9 $$\n", "killed by signal 9"),
        (
            "exit3", "#!/bin/sh\ncat >/dev/null\necho '{\"status\":\"failed\",\"message\":\"db down\"}'\nexit 3\n",
            "exited with code 3: db down"
        ),
        (
            "reported", "#!/bin/sh\ncat >/dev/null\necho '{\"status\":\"failed\",\"message\":\"smoke test failed\"}'\n",
            "smoke test failed"
        ),
    ])
    func badPluginsFailTheStageClearlyAndOnFailureRuns(name: String, script: String, expected: String) throws {
        let r = try repo(
            [name: script],
            pipeline: "stages:\n  - {uses: ./stages/\(name), id: plugin}\non_failure:\n  - {uses: echo, id: undo}\n")
        let cli = CLI(cwd: r.path)
        let out = try cli.run("run", "p")
        #expect(out.status == 1)
        let show = try cli.run("show", "p-1").stdout
        #expect(show.contains(expected), "\(show)")
        #expect(show.contains("status    rolled_back"))
    }

    @Test func hangingPluginIsStoppedAtTheTimeout() throws {
        let r = try repo(
            ["hang": "#!/bin/sh\necho started >&2\nexec sleep 600\n"],
            pipeline: "stages:\n  - {uses: ./stages/hang, id: plugin, timeout: 1s}\non_failure:\n  - {uses: noop}\n")
        let cli = CLI(cwd: r.path)
        let out = try cli.run("run", "p")
        #expect(out.status == 1)
        let show = try cli.run("show", "p-1").stdout
        #expect(show.contains("timed_out"))
        #expect(try cli.run("logs", "p-1", "--stage", "plugin").stdout.contains("started"))
    }

    @Test func missingOrNotExecutableIsBadInput() throws {
        let r = try repo([:], pipeline: "stages:\n  - {uses: ./stages/nope}\n", files: ["stages/plain": "#!/bin/sh\n"])
        let cli = CLI(cwd: r.path)
        let missing = try cli.run("run", "p")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("stages/nope does not exist at commit"))
        try r.write("pipelines/p.yml", Self.target + "stages:\n  - {uses: ./stages/plain}\n")
        try r.commit("plain")
        let plain = try cli.run("run", "p")
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("is not executable at this commit"))
        try r.write("pipelines/p.yml", Self.target + "stages:\n  - {uses: not-installed-anywhere}\n")
        try r.commit("unknown")
        #expect(try cli.run("run", "p").stderr.contains("unknown stage 'not-installed-anywhere'"))
    }

    @Test func pluginPathAndDescribe() throws {
        let dir = NSTemporaryDirectory() + "plugins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: repositoryRoot.appendingPathComponent("examples/stages/http-check").path,
            toPath: "\(dir)/pipeline-stage-http-check")
        let r = try repo(
            [:],
            pipeline:
                "stages:\n  - {uses: http-check, with: {url: \"http://127.0.0.1:9/\", timeout: 1, interval: 0.2}}\n")
        let cli = CLI(cwd: r.path, environment: ["PIPELINE_PLUGIN_PATH": dir])
        let stages = try cli.run("stages", binary: CLI.stockBinary)
        #expect(stages.stdout.contains("http-check — Polls a URL until it answers HTTP 200"))
        #expect(stages.stdout.contains("url (string, required)"))
        // validate checks inputs against --describe.
        try r.write("pipelines/bad.yml", Self.target + "stages:\n  - {uses: http-check, with: {adress: x}}\n")
        // Not committed: validate checks HEAD unless told to check the work tree (issue 13).
        let validate = try cli.run("validate", "pipelines/bad.yml", "--work-tree", binary: CLI.stockBinary)
        #expect(validate.status == 2)
        #expect(validate.stderr.contains("with.url: is required"))
        // Nothing listens on port 9: the check fails after its timeout, with its attempts in the log.
        let out = try cli.run("run", "p", binary: CLI.stockBinary)
        #expect(out.status == 1)
        let show = try cli.run("show", "p-1", binary: CLI.stockBinary).stdout
        #expect(show.contains("did not answer 200 in time"))
    }

    @Test func swiftStageInACustomBinary() throws {
        let binary = ProcessRunner.productsFolder.appendingPathComponent("pipeline-webhook").path
        let r = try repo([:], pipeline: "stages:\n  - {uses: webhook, with: {url: \"not a url\"}}\n")
        let cli = CLI(cwd: r.path)
        let stages = try cli.run("stages", binary: binary)
        #expect(stages.stdout.contains("webhook — POSTs a JSON message"))
        #expect(stages.stdout.contains("build-task-definition"))
        let bad = try cli.run("run", "p", binary: binary)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("with.url: must be an absolute URL"))
        // A real POST to a one-shot HTTP server on 127.0.0.1.
        let server = try SupportServer(script: "fake_metadata.py")
        try r.write(
            "pipelines/p.yml",
            Self.target + "stages:\n  - {uses: webhook, with: {url: \"\(server.endpoint)/__count__\"}}\n")
        try r.commit("real url")
        let good = try cli.run("run", "p", "--json", binary: binary)
        #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
        #expect(good.stdout.contains("\"status_code\" : 200"))
    }
}
