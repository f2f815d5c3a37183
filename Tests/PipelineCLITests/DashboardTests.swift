import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PipelineCore
import PipelineLocal
import PipelineStore
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `pipeline serve` over HTTP: the real server (the testkit binary) on a state made by real runs and
/// by the store itself (for volume).
@Suite(.serialized) struct DashboardTests {
    static let xss = "<img src=x onerror=alert(1)>"
    static let token = "serve-token-1234"

    /// A state with: 55 bulk runs (branches main/release, triggers push/manual), a rolled-back run of
    /// `web` whose commit message is hostile, a succeeded run of `ok`; a quarantined bulk commit.
    final class World: @unchecked Sendable {
        let repo: GitFixture
        let state: String
        let cli: CLI

        init() throws {
            repo = try GitFixture()
            try repo.write(
                "pipelines/web.yml",
                localTarget + "stages:\n  - {uses: noop}\n  - {uses: fail, with: {message: canary 5xx}}\n"
                    + "on_failure:\n  - {uses: noop, id: undo}\n")
            try repo.write("pipelines/ok.yml", localTarget + "stages:\n  - {uses: noop}\n")
            try repo.write(
                "pipelines/slow.yml",
                localTarget + "stages:\n  - {uses: sleep, id: first, with: {duration: 3s}}\n"
                    + "  - {uses: sleep, id: second, with: {duration: 2s}}\non_failure:\n  - {uses: noop, id: undo}\n")
            try repo.write(
                "pipelines/long.yml",
                localTarget + "stages:\n  - {uses: sleep, id: first, with: {duration: 120s}}\n"
                    + "on_failure:\n  - {uses: noop, id: undo}\n")
            try repo.commit(DashboardTests.xss)
            state = NSTemporaryDirectory() + "dash-\(UUID().uuidString.prefix(8))"
            cli = CLI(cwd: repo.path)
            let store = try RunStore(root: state)
            let bulk = Pipeline(
                name: "bulk", file: "pipelines/bulk.yml", target: TargetConfig(settings: [:]),
                stages: [Step(id: "noop", uses: "noop")])
            for i in 0..<55 {
                let commit = CommitInfo(
                    sha: String(format: "%040x", i + 1), branch: i % 5 == 0 ? "release" : "main", message: "bulk \(i)",
                    author: "Bulk <b@example.com>")
                let (recorder, started) = try store.createRun(
                    pipeline: bulk, trigger: i % 2 == 0 ? "push" : "manual", commit: commit, repository: nil,
                    dryRun: false)
                var record = started
                record.status = i == 54 ? .failed : .succeeded
                record.endedAt = Date()
                record.durationMs = 5
                try recorder.write(record)
            }
            _ = try cli.run("run", "web", "--state-dir", state)
            _ = try cli.run("run", "ok", "--state-dir", state)
        }
    }

    /// A `pipeline serve` process and an HTTP client.
    final class Server: @unchecked Sendable {
        let process: ProcessRunner.Running
        let port: Int
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

        init(_ world: World, token: String?) async throws {
            port = try FreePort.next()
            var environment = world.cli.environment
            environment["PIPELINE_SERVE_TOKEN"] = token
            process = try ProcessRunner.start(
                CLI.testkitBinary, ["serve", "--listen", "127.0.0.1:\(port)", "--state-dir", world.state],
                cwd: world.repo.path, environment: environment)
            let up = await eventually(.seconds(20)) { [process] in process.stdoutSoFar.contains("dashboard at") }
            guard up else { throw NSError(domain: "serve did not start: \(process.stdoutSoFar)", code: 1) }
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func get(_ path: String) async throws -> (status: Int, body: String, headers: [String: String]) {
            try await send(path, method: .GET)
        }

        func send(
            _ path: String, method: HTTPMethod, body: String? = nil, headers: [(String, String)] = []
        ) async throws -> (status: Int, body: String, headers: [String: String]) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 24))
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            return (Int(response.status.code), text, fields)
        }

        func stop() {
            process.signal(SIGTERM)
            _ = process.wait()
            try? client.syncShutdown()
        }
    }

    static func ids(_ html: String) -> [String] {
        html.components(separatedBy: "<a href=\"/runs/").dropFirst().compactMap { $0.split(separator: "\"").first }
            .map(String.init)
    }

    @Test func pagesFiltersPagingAndEscaping() async throws {
        let world = try World()
        let server = try await Server(world, token: nil)
        defer { server.stop() }
        // Newest first; 50 per page; the next page has the rest.
        let first = try await server.get("/runs")
        #expect(first.status == 200)
        #expect(first.headers["server-timing"]?.hasPrefix("app;dur=") == true)
        let firstIDs = Self.ids(first.body)
        #expect(firstIDs.count == 50 && firstIDs.first == "ok-1" && firstIDs[1] == "web-1", "\(firstIDs.prefix(3))")
        #expect(first.body.contains("rel=\"next\""))
        let second = try await server.get("/runs?page=2")
        #expect(Self.ids(second.body) == (0..<7).map { "bulk-\(7 - $0)" }, "\(Self.ids(second.body))")
        // Filters: pipeline, status, branch, trigger.
        #expect(Self.ids(try await server.get("/runs?pipeline=web").body) == ["web-1"])
        #expect(Self.ids(try await server.get("/runs?status=failed").body) == ["bulk-55"])
        let release = Self.ids(try await server.get("/runs?pipeline=bulk&branch=release").body)
        #expect(release.count == 11 && release.first == "bulk-51", "\(release)")
        let manualRelease = Self.ids(try await server.get("/runs?branch=release&trigger=manual").body)
        #expect(manualRelease.count == 5, "\(manualRelease)")
        #expect(try await server.get("/runs?status=bogus").status == 400)
        // A quarantined commit is marked (web's failed after changing nothing: not quarantined; mark one).
        let store = try RunStore(root: world.state)
        try store.quarantine(
            QuarantineMark(
                pipeline: "bulk", sha: String(format: "%040x", 55), runID: "bulk-55", reason: "t", at: Date()))
        #expect(try await server.get("/runs?status=failed").body.contains("class=\"quarantined\""))

        // The rolled-back run: timeline with the failed stage and the on_failure section; the hostile
        // commit message is text.
        let run = try await server.get("/runs/web-1")
        #expect(run.status == 200)
        #expect(run.body.contains("<rect class=\"bar failed\""), "\(run.body)")
        #expect(run.body.contains("<div class=\"section\">on_failure</div>"))
        #expect(run.body.contains("stage &#39;fail&#39; failed: canary 5xx"))
        #expect(!run.body.contains(Self.xss))
        #expect(run.body.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(run.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(try await server.get("/runs/nope-1").status == 404)
        #expect(try await server.get("/runs/..%2F..%2Fetc").status == 400)
        #expect(try await server.get("/api/v1/runs/web-1/logs/..%2F..%2Frun.json").status == 404)
        // Read-only without a token.
        let refused = try await server.send("/runs/ok-1/actions/abort", method: .POST, body: "csrf=x")
        #expect(refused.status == 403 && refused.body.contains("read-only"), "\(refused)")
        // A target: the same report as `pipeline status`, with the pipeline's last runs.
        let target = try await server.get("/targets/web")
        #expect(target.status == 200, "\(target.body)")
        #expect(target.body.contains("<h2>last runs</h2>") && target.body.contains("/runs/web-1"), "\(target.body)")
        #expect(try await server.get("/targets/nothing").status == 404)
        // Assets are the binary's own.
        #expect(try await server.get("/static/style.css").body.contains(".timeline"))
        #expect(try await server.get("/static/app.js").body.contains("EventSource"))
    }

    @Test func liveLogsAndActionsBehindTheToken() async throws {
        let world = try World()
        let server = try await Server(world, token: Self.token)
        defer { server.stop() }
        let slow = try world.cli.start("run", "slow", "--state-dir", world.state)
        defer { _ = slow.wait() }
        #expect(await eventually(.seconds(20)) { slow.stdoutSoFar.contains("first") })
        // The page of the running run streams its logs: the second stage's line arrives live.
        let page = try await server.get("/runs/slow-1")
        #expect(page.body.contains("data-live=\"/runs/slow-1/stream?"), "\(page.body)")
        var request = HTTPClientRequest(url: server.base + "/runs/slow-1/stream?offset.first=0")
        request.method = .GET
        let response = try await server.client.execute(request, timeout: .seconds(30))
        #expect(response.headers.first(name: "content-type") == "text/event-stream")
        var streamed = ""
        for try await chunk in response.body {
            streamed += String(buffer: chunk)
            if streamed.contains("event: end") { break }
        }
        #expect(streamed.contains("event: log\ndata: {\"line\":"), "\(streamed)")
        #expect(streamed.contains("\"stage\":\"second\""), "\(streamed)")
        #expect(streamed.contains("INFO sleeping 2.0s"), "\(streamed)")
        #expect(streamed.contains("event: end"))
        _ = await offThread { slow.wait() }

        // Actions: a long run, aborted through the dashboard.
        let victim = try world.cli.start("run", "long", "--state-dir", world.state)
        defer { _ = victim.wait() }
        #expect(await eventually(.seconds(20)) { victim.stdoutSoFar.contains("first") })
        let form = "actor=ops&comment=wrong+window&csrf="
        // No token: 401. A token but no CSRF field, or a cross-origin Origin: 403.
        #expect(try await server.send("/runs/long-1/actions/abort", method: .POST, body: form).status == 401)
        let cookie = ("cookie", "pipeline_token=\(Self.token)")
        #expect(
            try await server.send("/runs/long-1/actions/abort", method: .POST, body: form, headers: [cookie]).status
                == 403)
        let login = try await server.send("/login", method: .POST, body: "token=\(Self.token)")
        #expect(login.status == 302 && login.headers["set-cookie"]?.contains("HttpOnly") == true, "\(login)")
        let pageWithForms = try await server.get("/runs/long-1")
        let csrf = try #require(
            pageWithForms.body.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.split(
                separator: "\""
            ).first)
        let crossSite = try await server.send(
            "/runs/long-1/actions/abort", method: .POST, body: form + csrf,
            headers: [cookie, ("origin", "http://evil.example")])
        #expect(crossSite.status == 403, "\(crossSite.body)")
        let taken = try await server.send(
            "/runs/long-1/actions/abort", method: .POST, body: form + csrf,
            headers: [cookie, ("origin", server.base)])
        #expect(taken.status == 302, "\(taken.body)")
        let out = await offThread { victim.wait() }
        #expect(out.status == 1, "\(out.stdout)")
        let aborted =
            try JSONSerialization.jsonObject(
                with: Data(try await server.get("/api/v1/runs/long-1").body.utf8)) as? [String: Any]
        #expect((aborted?["error"] as? String)?.contains("aborted by ops: wrong window") == true, "\(aborted ?? [:])")
        // The API takes a bearer token instead (no cookie, so no CSRF field needed).
        let api = try await server.send(
            "/api/v1/runs/long-1/actions/abort", method: .POST, body: "",
            headers: [("authorization", "Bearer wrong")])
        #expect(api.status == 401)
    }

    /// Every GET path of docs/openapi.json answers, and its JSON has the schema's required fields.
    @Test func apiMatchesTheOpenAPIFile() async throws {
        let world = try World()
        let server = try await Server(world, token: nil)
        defer { server.stop() }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        let schemas = ((spec["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]]) ?? [:]
        let values = ["{id}": "web-1", "{stage}": "fail", "{pipeline}": "ok", "{kind}": "abort"]
        var checked = 0
        for (template, operations) in paths {
            guard let get = operations["get"] as? [String: Any] else { continue }
            var path = template
            for (key, value) in values { path = path.replacingOccurrences(of: key, with: value) }
            let answer = try await server.get(path)
            #expect(answer.status == 200, "\(path): \(answer.status) \(answer.body.prefix(300))")
            let ok = ((get["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any]
            guard let json = (ok?["application/json"] as? [String: Any])?["schema"] as? [String: Any] else { continue }
            let value = try JSONSerialization.jsonObject(with: Data(answer.body.utf8))
            func resolve(_ schema: [String: Any]) -> [String: Any] {
                guard let ref = schema["$ref"] as? String else { return schema }
                return schemas[String(ref.split(separator: "/").last ?? "")] ?? [:]
            }
            let schema = resolve(json)
            let objects: [[String: Any]]
            let required: [String]
            if schema["type"] as? String == "array" {
                objects = (value as? [[String: Any]]) ?? []
                required = (resolve((schema["items"] as? [String: Any]) ?? [:])["required"] as? [String]) ?? []
                #expect(!objects.isEmpty, "\(path)")
            } else {
                objects = [(value as? [String: Any]) ?? [:]]
                required = (schema["required"] as? [String]) ?? []
            }
            for object in objects {
                for key in required { #expect(object[key] != nil, "\(path): \(key) missing") }
            }
            checked += 1
        }
        #expect(checked >= 4)
    }

    /// Debian's Chromium, headless: the runs list and the rolled-back run as a person sees them
    /// (screenshots under .build/dashboard-screenshots/), and the DOM the browser built.
    @Test func aBrowserShowsTheRunsAndTheRolledBackRun() async throws {
        let chromium = try await offThread { try ProcessRunner.run("sh", ["-c", "command -v chromium"]) }
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!chromium.isEmpty, "chromium is not installed (scripts/setup --tests installs it)")
        let world = try World()
        let server = try await Server(world, token: nil)
        defer { server.stop() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shots = root.appendingPathComponent(".build/dashboard-screenshots").path
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--user-data-dir=\(NSTemporaryDirectory())chromium-\(UUID().uuidString.prefix(8))",
        ]
        func browse(_ arguments: [String]) async throws -> ProcessRunner.Output {
            try await offThread { try ProcessRunner.run(chromium, flags + arguments) }
        }
        for (name, path) in [("runs", "/runs"), ("run", "/runs/web-1")] {
            let file = "\(shots)/\(name).png"
            try? FileManager.default.removeItem(atPath: file)
            _ = try await browse(["--window-size=1280,900", "--screenshot=\(file)", server.base + path])
            let png = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(file): \(png.count) bytes")
        }
        let list = try await browse(["--dump-dom", server.base + "/runs"]).stdout
        #expect(list.contains("<a href=\"/runs/web-1\">web-1</a>"), "\(list.prefix(2000))")
        #expect(list.contains("<span class=\"status s-rolled_back\">rolled back</span>"))
        let dom = try await browse(["--dump-dom", server.base + "/runs/web-1"]).stdout
        // The timeline, with the failed stage and the on_failure section; the hostile message is text.
        #expect(dom.contains("class=\"timeline\""), "\(dom.prefix(2000))")
        #expect(dom.contains("<rect class=\"bar failed\""), "\(dom.prefix(4000))")
        #expect(dom.contains("<div class=\"section\">on_failure</div>"))
        #expect(dom.contains("<span class=\"commit-message\">&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!dom.contains("<img"))
    }
}
