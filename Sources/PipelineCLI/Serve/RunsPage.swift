import Foundation
import PipelineCore
import PipelineStore

/// `/runs`: newest first, filters, paging, quarantined commits marked.
enum RunsPage {
    static func render(_ query: RunsQuery, runs: [RunSummary], more: Bool, pipelines: [String]) -> String {
        func option(_ value: String, _ selected: String?) -> String {
            "<option value=\"\(HTML.escape(value))\"\(value == selected ? " selected" : "")>\(HTML.escape(value))</option>"
        }
        var body = "<h1>Runs</h1><form class=\"filters\" method=\"get\" action=\"/runs\">"
        body += "<select name=\"pipeline\"><option value=\"\">all pipelines</option>"
        body += pipelines.map { option($0, query.pipeline) }.joined() + "</select>"
        body += "<select name=\"status\"><option value=\"\">any status</option>"
        body += RunStatus.allCases.map { option($0.rawValue, query.status?.rawValue) }.joined() + "</select>"
        body += "<input name=\"branch\" placeholder=\"branch\" value=\"\(HTML.escape(query.branch ?? ""))\">"
        body += "<select name=\"trigger\"><option value=\"\">any trigger</option>"
        body += ["manual", "push"].map { option($0, query.trigger) }.joined() + "</select>"
        body += "<button>filter</button></form>"
        body += "<table class=\"runs\"><thead><tr><th>run</th><th>status</th><th>commit</th><th>branch</th>"
        body += "<th>trigger</th><th>started</th><th>duration</th></tr></thead><tbody>"
        for run in runs {
            let quarantined = run.quarantined == true ? " <span class=\"quarantined\">quarantined</span>" : ""
            body += "<tr><td><a href=\"/runs/\(HTML.urlEncode(run.id))\">\(HTML.escape(run.id))</a></td>"
            body += "<td>\(HTML.status(run.status.rawValue))\(run.dryRun == true ? " (dry run)" : "")</td>"
            body += "<td><code>\(HTML.escape(String(run.sha.prefix(7))))</code>\(quarantined)</td>"
            body += "<td>\(HTML.escape(run.branch ?? ""))</td><td>\(HTML.escape(run.trigger))</td>"
            body += "<td>\(HTML.time(run.startedAt))</td>"
            body +=
                "<td>\(run.durationMs.map { HTML.escape(DurationFormat.format(.milliseconds($0))) } ?? "")</td></tr>"
        }
        body += "</tbody></table>"
        if runs.isEmpty { body += "<p>No runs match.</p>" }
        body += "<p class=\"paging\">"
        if query.page > 1 {
            body += "<a rel=\"prev\" href=\"\(HTML.escape(query.link(page: query.page - 1)))\">newer</a> "
        }
        body += "page \(query.page)"
        if more { body += " <a rel=\"next\" href=\"\(HTML.escape(query.link(page: query.page + 1)))\">older</a>" }
        body += "</p>"
        return HTML.page(title: "Runs", body: body)
    }
}
