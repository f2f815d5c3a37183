import Foundation
import PipelineCore
import PipelineStore

/// The runs list's filters and page, from a query string; also what `/api/v1/runs` takes.
struct RunsQuery {
    var pipeline: String?
    var status: RunStatus?
    var branch: String?
    var trigger: String?
    var page = 1
    static let pageSize = 50

    init(_ parameters: [String: String]) throws {
        func value(_ key: String) -> String? { parameters[key].flatMap { $0.isEmpty ? nil : $0 } }
        pipeline = value("pipeline")
        branch = value("branch")
        trigger = value("trigger")
        if let text = value("status") {
            guard let parsed = RunStatus(rawValue: text) else {
                throw PipelineError(.invalidInput, "status: unknown '\(text)'")
            }
            status = parsed
        }
        if let text = value("page") {
            guard let number = Int(text), (1...100_000).contains(number) else {
                throw PipelineError(.invalidInput, "page: expected a number from 1, got '\(text)'")
            }
            page = number
        }
    }

    /// The page of runs (newest first) and whether there is a next one; quarantined commits marked.
    func load(_ store: any StateStore) async throws -> (runs: [RunSummary], more: Bool) {
        let runs = try await store.list(
            pipeline: pipeline, status: status, branch: branch, trigger: trigger, limit: page * Self.pageSize + 1,
            includeDryRuns: true)
        let start = (page - 1) * Self.pageSize
        guard start < runs.count else { return ([], false) }
        var slice = Array(runs[start..<min(runs.count, start + Self.pageSize)])
        var marks: [String: Set<String>] = [:]
        for name in Set(slice.map(\.pipeline)) { marks[name] = await store.quarantinedCommits(pipeline: name) }
        for i in slice.indices where marks[slice[i].pipeline]?.contains(slice[i].sha) == true {
            slice[i].quarantined = true
        }
        return (slice, runs.count > start + Self.pageSize)
    }

    /// The query string for another page with the same filters.
    func link(page: Int) -> String {
        var parts: [String] = []
        for (key, value) in [
            ("pipeline", pipeline), ("status", status?.rawValue), ("branch", branch), ("trigger", trigger),
        ] {
            if let value { parts.append("\(key)=\(HTML.urlEncode(value))") }
        }
        parts.append("page=\(page)")
        return "/runs?" + parts.joined(separator: "&")
    }
}
