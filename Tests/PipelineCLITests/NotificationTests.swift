import Foundation
import PipelineCore
import PipelineLocal
import PipelineTestKit
import PipelineTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `notify:` against real HTTP receivers (a Python server per test): signed webhooks, Slack, GitHub
/// statuses and deployments, retries, and a dead or hanging receiver that costs the run nothing.
@Suite(.serialized) struct NotificationTests {
    /// A receiver process and the requests it recorded.
    final class Receiver: @unchecked Sendable {
        let process: ProcessRunner.Running
        let log: String
        let port: Int

        init(_ options: [String] = []) async throws {
            log = NSTemporaryDirectory() + "receiver-\(UUID().uuidString.prefix(8)).jsonl"
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Support/http_receiver.py").path
            process = try ProcessRunner.start("python3", [script, log] + options)
            let started = await eventually(.seconds(10)) { [process] in process.stdoutSoFar.contains("PORT ") }
            let line = process.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("PORT ") }
            guard started, let port = line.flatMap({ Int($0.dropFirst(5)) }) else {
                throw NSError(domain: "receiver did not start: \(process.stdoutSoFar)", code: 1)
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)" }

        var requests: [[String: Any]] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func bodies(path: String) -> [[String: Any]] {
            requests.filter { ($0["path"] as? String) == path && ($0["status"] as? Int ?? 500) < 300 }.compactMap {
                ($0["body"] as? String).flatMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
        }

        func stop() {
            process.signal(SIGKILL)
            _ = process.wait()
            try? FileManager.default.removeItem(atPath: log)
        }
    }

    /// Problems of `value` against the subset of JSON Schema docs/schemas/notification.schema.json uses
    /// (type object, required, additionalProperties false, properties, enum, const, string).
    static func schemaProblems(_ value: Any, _ schema: [String: Any], path: String = "$") -> [String] {
        if let constant = schema["const"] as? String {
            return value as? String == constant ? [] : ["\(path) != \(constant)"]
        }
        if let choices = schema["enum"] as? [String] {
            return choices.contains(value as? String ?? "") ? [] : ["\(path): \(value) not in \(choices)"]
        }
        if schema["type"] as? String == "string" { return value is String ? [] : ["\(path): not a string"] }
        guard schema["type"] as? String == "object" else { return [] }
        guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
        let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
        var problems = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map {
            "\(path).\($0) missing"
        }
        for (key, item) in object {
            guard let sub = properties[key] else {
                problems.append("\(path).\(key) not in the schema")
                continue
            }
            problems += schemaProblems(item, sub, path: "\(path).\(key)")
        }
        return problems
    }

    static var schema: [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/schemas/notification.schema.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any]) ?? [:]
    }

    static let secret = "s3cr3t-notify-value"
    static let token = "ghp_faketoken_0123456789"

    static func pipeline(_ notify: String, stages: String) -> String {
        localTarget + "notify:\n" + notify + "stages:\n" + stages
    }

    @Test func aRunIsAnnouncedSignedToWebhookSlackAndGitHub() async throws {
        let hook = try await Receiver(["--secret", Self.secret])
        defer { hook.stop() }
        let github = try await Receiver()
        defer { github.stop() }
        let repo = try repoWith([
            "web": Self.pipeline(
                """
                  - webhook:
                      url: \(hook.url)/deploys
                      secret: ${{ env.NOTIFY_SECRET }}
                  - slack: {url: "\(hook.url)/slack/T000/B000/XXXX"}
                  - github: {repository: acme/web, api_url: "\(github.url)/api/v3", token: "${{ env.GH_TOKEN }}"}

                """,
                stages: "  - {uses: noop}\n  - {uses: notify, id: say, with: {message: canary is live}}\n")
        ])
        let cli = CLI(
            cwd: repo.path, environment: ["NOTIFY_SECRET": Self.secret, "GH_TOKEN": Self.token])
        let out = try await offThread { try cli.run("run", "web") }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let sha = try repo.git("rev-parse", "HEAD")
        // The webhook: started, the stage's message, succeeded — each signed with the secret.
        #expect(await eventually(.seconds(10)) { hook.bodies(path: "/deploys").count >= 3 })
        let webhook = hook.requests.filter { $0["path"] as? String == "/deploys" }
        #expect(webhook.allSatisfy { $0["signature_ok"] as? Bool == true }, "\(webhook)")
        let events = hook.bodies(path: "/deploys").compactMap { $0["event"] as? String }
        #expect(events == ["started", "message", "succeeded"], "\(events)")
        for body in hook.bodies(path: "/deploys") {
            #expect(Self.schemaProblems(body, Self.schema).isEmpty, "\(Self.schemaProblems(body, Self.schema))")
        }
        #expect(!Self.schema.isEmpty)
        let done = try #require(hook.bodies(path: "/deploys").last)
        #expect(done["schema"] as? String == "pipeline.notification/v1")
        #expect((done["run"] as? [String: Any])?["id"] as? String == "web-1")
        #expect((done["commit"] as? [String: Any])?["sha"] as? String == sha)
        // Slack: a text per event.
        let slack = hook.bodies(path: "/slack/T000/B000/XXXX").compactMap { $0["text"] as? String }
        #expect(slack.count == 3 && slack.last?.contains("web-1 succeeded") == true, "\(slack)")
        // GitHub: pending then success on the commit, a deployment with in_progress then success.
        let statuses = github.bodies(path: "/api/v3/repos/acme/web/statuses/\(sha)").compactMap {
            $0["state"] as? String
        }
        #expect(statuses == ["pending", "success"], "\(github.requests)")
        #expect(github.bodies(path: "/api/v3/repos/acme/web/deployments").first?["ref"] as? String == sha)
        let deployment = github.bodies(path: "/api/v3/repos/acme/web/deployments/42/statuses").compactMap {
            $0["state"] as? String
        }
        #expect(deployment == ["in_progress", "success"], "\(deployment)")
        #expect(
            github.requests.allSatisfy {
                ($0["headers"] as? [String: String])?["authorization"] == "Bearer \(Self.token)"
            })
        // Neither the secret nor the token is on disk in the state, nor in the output.
        let state = repo.path + "/.pipeline"
        let grep = try ProcessRunner.run("grep", ["-rl", "-e", Self.secret, "-e", Self.token, state])
        #expect(grep.stdout.isEmpty, "\(grep.stdout)")
        #expect(!out.stdout.contains(Self.secret) && !out.stderr.contains(Self.token))
    }

    @Test func aFailedDeliveryIsRetriedAndARollbackIsAnnounced() async throws {
        let hook = try await Receiver(["--fail-first", "2"])
        defer { hook.stop() }
        let repo = try repoWith([
            "web": Self.pipeline(
                "  - webhook: {url: \"\(hook.url)/deploys\", events: [started, rolled_back, failed]}\n",
                stages:
                    "  - {uses: noop}\n  - {uses: sleep, with: {duration: 3s}}\n  - {uses: fail, with: {message: canary 5xx}}\n"
                    + "on_failure:\n  - {uses: noop, id: undo}\n")
        ])
        let out = try await offThread { try CLI(cwd: repo.path).run("run", "web") }
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        // `started` met two 500s and went through on the third try, during the run; then the rollback.
        #expect(await eventually(.seconds(10)) { hook.bodies(path: "/deploys").count == 2 })
        #expect(hook.requests.count == 4, "\(hook.requests)")
        let tries = hook.requests.filter { ($0["headers"] as? [String: String])?["x-pipeline-event"] == "started" }
        #expect(tries.map { $0["status"] as? Int } == [500, 500, 200], "\(tries)")
        // A retry is the same delivery (a receiver can drop duplicates by id).
        #expect(Set(tries.compactMap { ($0["headers"] as? [String: String])?["x-pipeline-delivery"] }).count == 1)
        let body = try #require(hook.bodies(path: "/deploys").last)
        #expect(body["event"] as? String == "rolled_back")
        #expect(body["stage"] as? String == "fail")
        #expect((body["run"] as? [String: Any])?["error"] as? String == "stage 'fail' failed: canary 5xx")
        #expect(out.stderr.contains("HTTP 500; retrying"), "\(out.stderr)")
    }

    /// A receiver that never answers, and one where nothing listens: the run takes the same time, and
    /// the process waits at most a second for them when the run has ended.
    @Test func aDeadOrHangingReceiverNeverDelaysTheDeploy() async throws {
        let hang = try await Receiver(["--hang"])
        defer { hang.stop() }
        let closed = try FreePort.next()
        let repo = try repoWith([
            "web": Self.pipeline(
                "  - webhook: {url: \"\(hang.url)/deploys\"}\n  - slack: {url: \"http://127.0.0.1:\(closed)/x\"}\n",
                stages: "  - {uses: notify, id: one, with: {message: one}}\n  - {uses: sleep, with: {duration: 1s}}\n"
                    + "  - {uses: notify, id: two, with: {message: two}}\n")
        ])
        // The exit is timed by a shell beside the process (its last stderr line), not by this test's
        // thread, which a loaded machine may wake seconds late.
        let cli = CLI(cwd: repo.path)
        let out = try await offThread {
            try cli.run(
                "-c", "\"$0\" \"$@\"; s=$?; date +%s.%N >&2; exit $s", CLI.testkitBinary, "run", "web", "--json",
                binary: "/bin/sh")
        }
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let stamp = out.stderr.split(separator: "\n").last.flatMap { Double($0) }
        let exited = Date(timeIntervalSince1970: try #require(stamp, "\(out.stderr)"))
        let record = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
        let runMs = Double(record["duration_ms"] as? Int ?? 0)
        // The stages ran as if nothing were configured: 1 s of sleep, plus the engine's own time (a
        // notify stage that waited for the hanging receiver would add its 5 s attempt timeout).
        #expect(runMs < 4_000, "run took \(runMs) ms")
        // From the run's end to the process's exit: the 1 s drain, then exit — not the 5 s attempt timeout
        // (a broken drain waits for it, and for the retries after it: 20 s and more). The margin above 1 s
        // is for a loaded machine (the whole suite in parallel showed 2.4 s, and 4.2 s on CI when the test's
        // own thread timed the exit).
        let ended = try #require((record["ended_at"] as? String).flatMap(Timestamp.parse))
        #expect(
            exited.timeIntervalSince(ended) < 4, "exited \(exited.timeIntervalSince(ended)) s after the run ended")
        #expect(exited.timeIntervalSince(ended) >= 0.9, "the drain waited for the hanging receiver")
        #expect(hang.requests.isEmpty)
    }

    @Test func badNotifyEntriesAreRefusedBeforeAnythingRuns() throws {
        let repo = try repoWith([
            "web": Self.pipeline(
                "  - webhook: {url: \"ftp://x\", secret: \"${{ env.UNSET_SECRET }}\"}\n  - slak: {url: http://x}\n"
                    + "  - github: {repository: acme}\n",
                stages: "  - {uses: noop}\n")
        ])
        let out = try CLI(cwd: repo.path).run("run", "web")
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("notify[1].slak: unknown key (did you mean 'slack'?)"), "\(out.stderr)")
        let fixed = try repoWith([
            "web": Self.pipeline(
                "  - webhook: {url: \"ftp://x\", secret: \"${{ env.UNSET_SECRET }}\"}\n"
                    + "  - github: {repository: acme}\n",
                stages: "  - {uses: noop}\n")
        ])
        let second = try CLI(cwd: fixed.path).run("run", "web")
        #expect(second.status == 2, "\(second.stderr)")
        #expect(second.stderr.contains("notify[0].webhook.url: expected an http(s) URL"), "\(second.stderr)")
        #expect(second.stderr.contains("notify[1].github.repository: expected OWNER/NAME"), "\(second.stderr)")
        #expect(second.stderr.contains("notify[0].webhook.secret: environment variable UNSET_SECRET is not set"))
        let runs = try CLI(cwd: fixed.path).run("runs")
        #expect(runs.stdout.contains("no runs"), "\(runs.stdout)")
    }

    /// Under `watch`: the run waits for approval (announced `waiting`), another process approves it,
    /// the run succeeds (announced); the approval is in the record.
    @Test func watchWaitsForApprovalAndAnnouncesIt() async throws {
        let hook = try await Receiver()
        defer { hook.stop() }
        let repo = try repoWith([
            "gate": "on: {push: {branches: [main]}}\n"
                + Self.pipeline(
                    "  - webhook: {url: \"\(hook.url)/deploys\"}\n",
                    stages:
                        "  - {uses: noop}\n  - {uses: approval, id: ok, with: {message: ship?}}\n  - {uses: noop, id: after}\n"
                )
        ])
        let state = NSTemporaryDirectory() + "watch-gate-\(UUID().uuidString.prefix(8))"
        let cli = CLI(cwd: repo.path)
        let watch = try cli.start("watch", "--repo", ".", "--state-dir", state)
        defer {
            watch.signal(SIGTERM)
            _ = watch.wait()
        }
        let show: @Sendable () async throws -> [String: Any] = {
            let out = try await offThread { try cli.run("show", "gate-1", "--json", "--state-dir", state) }
            return (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
        }
        #expect(
            await eventually(.seconds(30)) {
                ((try await show()["stages"] as? [[String: Any]]) ?? []).contains {
                    $0["id"] as? String == "ok" && $0["status"] as? String == "waiting"
                }
            })
        #expect(await eventually(.seconds(10)) { hook.bodies(path: "/deploys").count >= 2 })
        let waiting = hook.bodies(path: "/deploys").first { $0["event"] as? String == "waiting" }
        #expect((waiting?["message"] as? String)?.contains("ship?") == true, "\(hook.requests)")
        #expect(waiting?["stage"] as? String == "ok")
        let approved = try await offThread {
            try cli.run("approve", "gate-1", "--state-dir", state, "--comment", "go")
        }
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        #expect(await eventually(.seconds(30)) { try await show()["status"] as? String == "succeeded" })
        #expect(await eventually(.seconds(10)) { hook.bodies(path: "/deploys").count == 3 })
        #expect(
            hook.bodies(path: "/deploys").compactMap { $0["event"] as? String } == ["started", "waiting", "succeeded"])
        let gate = ((try await show()["stages"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "ok" }
        #expect((gate?["outputs"] as? [String: Any])?["comment"] as? String == "go")
    }

    /// A run killed with -9 is finished by `pipeline recover` in another process, which announces it
    /// as `recovered`.
    @Test func aRecoveryIsAnnounced() async throws {
        let hook = try await Receiver()
        defer { hook.stop() }
        let repo = try repoWith([
            "web": Self.pipeline(
                "  - webhook: {url: \"\(hook.url)/deploys\", events: [recovered]}\n",
                stages: "  - {uses: sleep, with: {duration: 60s}}\non_failure:\n  - {uses: noop, id: undo}\n")
        ])
        let cli = CLI(cwd: repo.path)
        let run = try cli.start("run", "web")
        #expect(await eventually(.seconds(30)) { run.stdoutSoFar.contains("sleep") })
        try await Task.sleep(for: .milliseconds(300))
        run.signal(SIGKILL)
        _ = await offThread { run.wait() }
        let recovered = try await offThread { try cli.run("recover") }
        #expect(recovered.status == 0, "\(recovered.stdout)\(recovered.stderr)")
        #expect(await eventually(.seconds(10)) { hook.bodies(path: "/deploys").count == 1 })
        let body = hook.bodies(path: "/deploys").first
        #expect(body?["event"] as? String == "recovered", "\(hook.requests)")
        #expect((body?["run"] as? [String: Any])?["id"] as? String == "web-1")
    }
}
