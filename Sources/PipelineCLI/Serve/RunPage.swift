import Foundation
import PipelineCore

/// `/runs/ID`: commit, a stage timeline, outputs, errors, the task-definition diff, each stage's log
/// (live while the run goes on), and the operator actions when a token is configured.
enum RunPage {
    static func render(
        _ record: RunRecord, logs: [String: String], waiting: String?, actions: ActionForms?
    ) -> String {
        var body =
            "<h1>\(HTML.escape(record.id)) <span id=\"run-status\">\(HTML.status(record.status.rawValue))</span></h1>"
        body += "<table class=\"facts\">"
        body += fact(
            "pipeline",
            "<a href=\"/targets/\(HTML.urlEncode(record.pipeline))\">\(HTML.escape(record.pipeline))</a> (\(HTML.escape(record.pipelineFile)))"
        )
        body += fact(
            "commit", "<code>\(HTML.escape(record.commit.sha))</code> on \(HTML.escape(record.commit.branch ?? "—"))")
        body += fact("author", HTML.escape(record.commit.author))
        body += fact("message", "<span class=\"commit-message\">\(HTML.escape(record.commit.message))</span>")
        body += fact("trigger", "\(HTML.escape(record.trigger)) by \(HTML.escape(record.startedBy))")
        body += fact("started", HTML.time(record.startedAt))
        if let ended = record.endedAt { body += fact("ended", HTML.time(ended)) }
        if let recovery = record.recovery {
            body += fact("recovery", "by \(HTML.escape(recovery.by)): \(HTML.escape(recovery.note))")
        }
        body += "</table>"
        if let error = record.error { body += "<p class=\"error\">\(HTML.escape(error))</p>" }
        if let waiting { body += "<p class=\"waiting\">⏸ \(HTML.escape(waiting))</p>" }
        if let actions { body += actions.html(record) }
        body += timeline(record)
        if let diff = diff(logs) {
            body += "<h2>Task definition diff</h2><pre class=\"diff\">\(diff)</pre>"
        }
        body += "<h2>Stages</h2>"
        for stage in record.stages {
            body +=
                "<h3 id=\"stage-\(HTML.escape(stage.id))\">\(HTML.escape(stage.id)) <small>\(HTML.escape(stage.uses)) · \(HTML.escape(stage.phase))</small> \(HTML.status(stage.status.rawValue))</h3>"
            if let error = stage.error { body += "<p class=\"error\">\(HTML.escape(error))</p>" }
            if !stage.outputs.isEmpty {
                body += "<table class=\"outputs\">"
                for (key, value) in stage.outputs.sorted(by: { $0.key < $1.key }) {
                    body += "<tr><th>\(HTML.escape(key))</th><td><code>\(HTML.escape(value.text))</code></td></tr>"
                }
                body += "</table>"
            }
            body += "<pre class=\"log\" id=\"log-\(HTML.escape(stage.id))\">\(HTML.escape(logs[stage.id] ?? ""))</pre>"
        }
        let offsets = record.stages.map { "offset.\(HTML.urlEncode($0.id))=\(logs[$0.id]?.utf8.count ?? 0)" }
        let stream = "/runs/\(HTML.urlEncode(record.id))/stream?" + offsets.joined(separator: "&")
        let live = record.status.isFinal ? "" : "<div data-live=\"\(HTML.escape(stream))\"></div>"
        return HTML.page(title: record.id, body: body + live, script: !record.status.isFinal)
    }

    static func fact(_ name: String, _ html: String) -> String { "<tr><th>\(name)</th><td>\(html)</td></tr>" }

    /// One bar per stage on the run's time axis; `on_failure` in its own section.
    static func timeline(_ record: RunRecord) -> String {
        let start = record.stages.compactMap(\.startedAt).min() ?? record.startedAt
        let end = record.endedAt ?? Date()
        let total = max(end.timeIntervalSince(start), 0.001)
        var html =
            "<div class=\"timeline\"><div class=\"axis\">0 – \(HTML.escape(DurationFormat.format(.milliseconds(Int64(total * 1000)))))</div>"
        var phase = ""
        for stage in record.stages {
            if stage.phase != phase {
                phase = stage.phase
                html += "<div class=\"section\">\(phase == "main" ? "stages" : HTML.escape(phase))</div>"
            }
            var bar = ""
            if let began = stage.startedAt {
                let finished = stage.endedAt ?? (stage.status.isActive ? end : began)
                let left = max(0, began.timeIntervalSince(start) / total * 100)
                let width = max(0.3, finished.timeIntervalSince(began) / total * 100)
                let took =
                    stage.durationMs.map { DurationFormat.format(.milliseconds($0)) } ?? "\(stage.status.rawValue)"
                // SVG geometry (attributes, not inline styles: the page's CSP allows no inline style).
                let x = String(format: "%.1f", left * 10)
                let w = String(format: "%.1f", min(width, 100 - left) * 10)
                bar =
                    "<rect class=\"bar \(HTML.escape(stage.status.rawValue))\" x=\"\(x)\" y=\"0\" width=\"\(w)\" height=\"16\"><title>\(HTML.escape(stage.id)): \(HTML.escape(took))</title></rect>"
            }
            html +=
                "<div class=\"row stage-\(HTML.escape(stage.status.rawValue))\" data-stage=\"\(HTML.escape(stage.id))\"><span class=\"label\">\(HTML.escape(stage.id))</span><svg class=\"track\" viewBox=\"0 0 1000 16\" preserveAspectRatio=\"none\">\(bar)</svg></div>"
        }
        return html + "</div>"
    }

    /// The build stage's diff against the running revision, from its log, coloured.
    static func diff(_ logs: [String: String]) -> String? {
        for (_, text) in logs.sorted(by: { $0.key < $1.key }) {
            guard let range = text.range(of: "diff against ") else { continue }
            var lines: [String] = []
            for (i, line) in text[range.lowerBound...].split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                if i > 0, !(line.hasPrefix(" ") || line.hasPrefix("+") || line.hasPrefix("-") || line.hasPrefix("@")) {
                    break
                }
                let escaped = HTML.escape(String(line))
                if line.hasPrefix("+") {
                    lines.append("<span class=\"diff-add\">\(escaped)</span>")
                } else if line.hasPrefix("-") {
                    lines.append("<span class=\"diff-del\">\(escaped)</span>")
                } else {
                    lines.append(escaped)
                }
            }
            return lines.joined(separator: "\n")
        }
        return nil
    }
}

extension OutputValue {
    /// The value as text, for a page.
    var text: String {
        switch self {
        case .string(let s): return s
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}
