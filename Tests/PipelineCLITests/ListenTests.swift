import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import PipelineCore
import PipelineLocal
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `watch --listen` (push webhooks from GitHub and GitLab) and `watch --metrics` (Prometheus text),
/// against the real binary watching a remote (a bare repository over file://) on the simulated AWS.
@Suite(.serialized) struct ListenTests {
    static let secret = "hook-secret-0123"

    static func pipeline(_ name: String) -> String {
        """
        on:
          push:
            branches: [main]
        target: {provider: aws, region: us-east-1, cluster: \(name), service: \(name)}
        stages:
          - {uses: alarm-watch, id: look, with: {alarms: [\(name)-5xx], bake_time: 0}}
        """
    }

    static func post(
        _ client: HTTPClient, _ url: String, body: Data, headers: [(String, String)]
    ) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    static func githubSignature(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Prometheus text → [series with labels: value].
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            out[String(line[..<space])] = value
        }
        return out
    }

    @Test func verifiedPushesFetchAtOnceAndMetricsAreServed() async throws {
        let moto = try Moto.shared()
        let name = "hooks\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        try await offThread { _ = try Moto.fixture(moto.endpoint, "setup", name) }
        let work = try repoWith(["web": Self.pipeline(name)])
        let bare = NSTemporaryDirectory() + "remote-\(UUID().uuidString).git"
        try ProcessRunner.run("git", ["clone", "-q", "--bare", work.path, bare])
        let state = NSTemporaryDirectory() + UUID().uuidString
        let (hooksPort, metricsPort) = (try FreePort.next(), try FreePort.next())
        let cli = CLI(
            cwd: NSTemporaryDirectory(),
            environment: [
                "PIPELINE_WEBHOOK_SECRET": Self.secret, "AWS_ENDPOINT_URL": moto.endpoint,
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
            ])
        // Without the secret, --listen is refused before anything starts.
        var bare2 = cli
        bare2.environment["PIPELINE_WEBHOOK_SECRET"] = nil
        let refused = try await offThread { [bare2, bare] in
            try ProcessRunner.run(
                CLI.stockBinary, ["watch", "--repo", "file://\(bare)", "--listen", "127.0.0.1:1"], cwd: bare2.cwd,
                environment: bare2.environment)
        }
        #expect(refused.status == 2 && refused.stderr.contains("PIPELINE_WEBHOOK_SECRET"), "\(refused.stderr)")

        let watch = try ProcessRunner.start(
            CLI.stockBinary,
            [
                "watch", "--repo", "file://\(bare)", "--interval", "1h", "--state-dir", state,
                "--listen", "127.0.0.1:\(hooksPort)", "--metrics", "127.0.0.1:\(metricsPort)",
            ], cwd: cli.cwd, environment: cli.environment)
        defer {
            watch.signal(SIGTERM)
            _ = watch.wait()
        }
        let runs: @Sendable () async throws -> [[String: Any]] = {
            let out = try await cli.stock(["runs", "--state-dir", state, "--json", "--limit", "50"])
            return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]) ?? []
        }
        #expect(await eventually(.seconds(60)) { try await runs().first?["status"] as? String == "succeeded" })
        let firstRuns = try await runs()
        let shown = try await cli.stock(["show", "web-1", "--state-dir", state])
        #expect(firstRuns.first?["status"] as? String == "succeeded", "\(shown.stdout)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let hooks = "http://127.0.0.1:\(hooksPort)/hooks"

        // A new commit on the remote; the next fetch is an hour away.
        try work.write("README", "2")
        let second = try work.commit("two")
        try work.git("push", "-q", bare, "main")
        let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
        // Bad signature, no signature, wrong GitLab token: 401, nothing fetched.
        let wrong = Self.githubSignature(body, secret: "not-the-secret")
        #expect(
            try await Self.post(
                client, hooks + "/github", body: body,
                headers: [("X-Hub-Signature-256", wrong), ("X-GitHub-Event", "push")])
                == 401)
        #expect(
            try await Self.post(client, hooks + "/github", body: body, headers: [("X-GitHub-Event", "push")]) == 401)
        #expect(
            try await Self.post(
                client, hooks + "/gitlab", body: body,
                headers: [("X-Gitlab-Token", "nope"), ("X-Gitlab-Event", "Push Hook")])
                == 401)
        // Over 1 MB: 413.
        let huge = Data(repeating: UInt8(ascii: "x"), count: (1 << 20) + 1)
        #expect(
            try await Self.post(
                client, hooks + "/github", body: huge,
                headers: [("X-Hub-Signature-256", Self.githubSignature(huge, secret: Self.secret))]) == 413)
        try await Task.sleep(for: .seconds(2))
        #expect(try await runs().count == 1, "a refused hook must not fetch")
        #expect(watch.stdoutSoFar.contains("bad or missing signature (nothing fetched)"), "\(watch.stdoutSoFar)")

        // A good signature: fetched and started at once.
        let sent = Date()
        #expect(
            try await Self.post(
                client, hooks + "/github", body: body,
                headers: [
                    ("X-Hub-Signature-256", Self.githubSignature(body, secret: Self.secret)),
                    ("X-GitHub-Event", "push"),
                ])
                == 202)
        #expect(await eventually(.seconds(10)) { try await runs().count == 2 })
        let started = try #require((try await runs().first?["started_at"] as? String).flatMap(Timestamp.parse))
        // (The next fetch is an hour away: only the hook can have started it. The bound leaves room for a
        // loaded machine.)
        #expect(
            started.timeIntervalSince(sent) < 5.0, "run started \(started.timeIntervalSince(sent)) s after the hook")
        #expect((try await runs().first?["sha"] as? String).map { second.hasPrefix($0) } == true)

        // GitLab with the right token.
        try work.write("README", "3")
        _ = try work.commit("three")
        try work.git("push", "-q", bare, "main")
        #expect(
            try await Self.post(
                client, hooks + "/gitlab", body: body,
                headers: [("X-Gitlab-Token", Self.secret), ("X-Gitlab-Event", "Push Hook")]) == 202)
        #expect(
            await eventually(.seconds(10)) {
                try await runs().filter { $0["status"] as? String == "succeeded" }.count == 3
            })

        // The metrics, as Prometheus text.
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics")
        request.method = .GET
        let response = try await client.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        #expect(response.status.code == 200)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain") == true)
        let samples = Self.samples(text)
        #expect(samples[#"pipeline_runs_total{pipeline="web",status="succeeded"}"#] == 3, "\(text)")
        #expect(text.contains("# TYPE pipeline_stage_duration_seconds histogram"), "\(text)")
        #expect(samples[#"pipeline_stage_duration_seconds_count{pipeline="web",stage="look",status="succeeded"}"#] == 3)
        let lastSuccess = samples[#"pipeline_last_success_timestamp_seconds{pipeline="web"}"#] ?? 0
        #expect(abs(lastSuccess - Date().timeIntervalSince1970) < 120, "\(lastSuccess)")
        #expect((samples[#"pipeline_watch_lag_seconds_count{pipeline="web"}"#] ?? 0) == 3)
        #expect((samples[#"pipeline_lock_wait_seconds_count{pipeline="web"}"#] ?? 0) == 3)
        let describeAlarms = samples.filter {
            $0.key.hasPrefix("pipeline_aws_calls_total{") && $0.key.contains(#"operation="DescribeAlarms""#)
        }
        #expect((describeAlarms.values.first ?? 0) >= 3, "\(text)")
    }
}
