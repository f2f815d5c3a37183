import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PipelineCore
import PipelineStore

/// `pipeline serve`: the runs, a run (live), a target, the operator actions, `/api/v1` — over the same
/// store as the CLI. Every handler adds `Server-Timing: app;dur=MS` (its own time).
struct Dashboard: Sendable {
    let store: any StateStore
    let auth: DashboardAuth
    let target: @Sendable (String) async throws -> StatusReport

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in Response.redirect(to: "/runs") }
        router.get("/static/style.css") { _, _ in Self.text(HTML.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Self.text(HTML.script, type: "text/javascript; charset=utf-8") }
        router.get("/runs") { request, _ in try await timed { try await runsPage(request) } }
        router.get("/runs/:id") { _, context in try await timed { try await runPage(try id(context)) } }
        router.get("/runs/:id/stream") { request, context in try stream(try id(context), request) }
        router.get("/targets/:pipeline") { _, context in
            try await timed { try await targetPage(context.parameters.require("pipeline")) }
        }
        router.get("/login") { _, _ in Self.html(loginPage(nil)) }
        router.post("/login") { request, _ in try await login(request) }
        router.post("/runs/:id/actions/:kind") { request, context in
            try await action(try id(context), kind: context.parameters.require("kind"), request, api: false)
        }
        DashboardAPI(dashboard: self).add(to: router)
        return router
    }

    func id(_ context: BasicRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard RunStore.parse(runID: id) != nil else { throw HTTPError(.badRequest, message: "not a run id") }
        return id
    }

    // MARK: Pages

    func runsPage(_ request: Request) async throws -> Response {
        let query: RunsQuery
        do {
            query = try RunsQuery(Self.parameters(request))
        } catch let error as PipelineError {
            return Self.html(
                HTML.page(title: "Runs", body: "<p class=\"error\">\(HTML.escape(error.message))</p>"), .badRequest)
        }
        let (runs, more) = try await query.load(store)
        let pipelines = try await store.pipelinesWithRuns()
        return Self.html(RunsPage.render(query, runs: runs, more: more, pipelines: pipelines))
    }

    func runPage(_ id: String) async throws -> Response {
        let record: RunRecord
        do {
            record = try await store.load(runID: id)
        } catch let error as PipelineError where error.code == .notFound || error.code == .invalidInput {
            return Self.html(
                HTML.page(title: id, body: "<p class=\"error\">\(HTML.escape(error.message))</p>"), .notFound)
        }
        var logs: [String: String] = [:]
        for stage in record.stages {
            // Complete lines only: the live stream goes on from there.
            if let data = try await store.logContents(runID: id, stage: stage.id),
                let end = data.lastIndex(of: UInt8(ascii: "\n"))
            {
                logs[stage.id] = String(decoding: data[...end], as: UTF8.self)
            }
        }
        var waiting: String?
        if let stage = record.stages.first(where: { $0.status == .waiting }) {
            waiting = try await store.events(runID: id).last { $0.type == .stageWaiting && $0.stage == stage.id }?
                .message
        }
        let forms = auth.csrf.map { ActionForms(csrf: $0) }
        return Self.html(RunPage.render(record, logs: logs, waiting: waiting, actions: forms))
    }

    func targetPage(_ pipeline: String) async throws -> Response {
        let report: StatusReport
        do {
            report = try await target(pipeline)
        } catch {
            let message = (error as? PipelineError)?.message ?? "\(error)"
            return Self.html(
                HTML.page(title: pipeline, body: "<p class=\"error\">\(HTML.escape(message))</p>"), .notFound)
        }
        return Self.html(TargetPage.render(report))
    }

    func loginPage(_ problem: String?) -> String {
        let note =
            auth.token == nil ? "<p>This server is read-only: it was started without PIPELINE_SERVE_TOKEN.</p>" : ""
        let error = problem.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        return HTML.page(
            title: "Log in",
            body:
                "<h1>Log in</h1>\(note)\(error)<form method=\"post\" action=\"/login\"><input type=\"password\" name=\"token\" placeholder=\"token\"> <button>log in</button></form>"
        )
    }

    func login(_ incoming: Request) async throws -> Response {
        var request = incoming
        let form = DashboardAuth.form(String(buffer: try await request.collectBody(upTo: 64 * 1024)))
        guard let token = auth.token, DashboardAuth.equal(form["token"] ?? "", token) else {
            return Self.html(loginPage("wrong token"), .unauthorized)
        }
        var response = Response.redirect(to: "/runs", type: .found)
        response.headers[.setCookie] = "\(DashboardAuth.cookieName)=\(token); HttpOnly; SameSite=Strict; Path=/"
        return response
    }

    /// Records an operator request for the run (as the CLI does) and answers it.
    func action(_ id: String, kind text: String, _ incoming: Request, api: Bool) async throws -> Response {
        var request = incoming
        let form = DashboardAuth.form(String(buffer: try await request.collectBody(upTo: 64 * 1024)))
        if let (status, message) = auth.refusal(request, form: form) {
            return api
                ? DashboardAPI.error(message, status)
                : Self.html(HTML.page(title: "Refused", body: "<p class=\"error\">\(HTML.escape(message))</p>"), status)
        }
        guard let kind = OperatorRequest.Kind(rawValue: text) else {
            return DashboardAPI.error("unknown action '\(text)'", .badRequest)
        }
        let record = try await store.load(runID: id)
        guard !record.status.isFinal else {
            return DashboardAPI.error("\(id) has ended (\(record.status.rawValue))", .conflict)
        }
        let actor = form["actor"].flatMap { $0.isEmpty ? nil : $0 } ?? "dashboard"
        let comment = form["comment"].flatMap { $0.isEmpty ? nil : $0 }
        let host = request.head.authority ?? "dashboard"
        let operatorRequest = OperatorRequest(
            kind: kind, by: actor, from: "pipeline serve at \(host)", comment: comment)
        try await store.postRequest(operatorRequest, runID: id)
        if api {
            return DashboardAPI.json(["request": operatorRequest.id, "status": "recorded"], .accepted)
        }
        return Response.redirect(to: "/runs/\(HTML.urlEncode(id))", type: .found)
    }

    // MARK: Live logs

    /// Server-sent events: `log` (a new line of a stage's log, from the offsets the page had), `status`,
    /// then `end` when the run has ended.
    func stream(_ id: String, _ request: Request) throws -> Response {
        var offsets: [String: Int] = [:]
        for (key, value) in Self.parameters(request) where key.hasPrefix("offset.") {
            offsets[String(key.dropFirst(7))] = Int(value) ?? 0
        }
        let store = self.store
        let start = offsets
        let body = ResponseBody { writer in
            var offsets = start
            var lastStatus = ""
            while true {
                let record = try await store.load(runID: id)
                var chunk = ""
                for stage in record.stages {
                    guard let data = try await store.logContents(runID: id, stage: stage.id) else { continue }
                    let from = offsets[stage.id] ?? 0
                    guard data.count > from, let end = data[from...].lastIndex(of: UInt8(ascii: "\n")) else { continue }
                    for line in String(decoding: data[from..<end], as: UTF8.self).split(
                        separator: "\n", omittingEmptySubsequences: false)
                    {
                        chunk += Self.event("log", ["stage": stage.id, "line": String(line)])
                    }
                    offsets[stage.id] = end + 1
                }
                if record.status.rawValue != lastStatus {
                    lastStatus = record.status.rawValue
                    chunk += Self.event("status", ["status": lastStatus])
                }
                if record.status.isFinal { chunk += Self.event("end", ["status": lastStatus]) }
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                if record.status.isFinal { break }
                try await Task.sleep(for: .milliseconds(300))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func event(_ name: String, _ data: [String: String]) -> String {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])) ?? Data("{}".utf8)
        return "event: \(name)\ndata: \(String(decoding: json, as: UTF8.self))\n\n"
    }

    // MARK: Helpers

    /// The query's parameters (Hummingbird has percent-decoded the values once; decoding again would
    /// turn a branch named `a%41` into `aA`).
    static func parameters(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { out[String(key)] = String(value) }
        return out
    }

    static func html(_ text: String, _ status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Runs a handler and adds its server time as `Server-Timing: app;dur=MS`.
func timed(_ body: () async throws -> Response) async throws -> Response {
    let start = ContinuousClock.now
    var response = try await body()
    let elapsed = ContinuousClock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    response.headers[HTTPField.Name("Server-Timing")!] = "app;dur=\(String(format: "%.2f", ms))"
    return response
}
