import Foundation

/// `/targets/PIPELINE`: what runs now — revision, deployments, canary, traffic weights, alarms — and
/// the pipeline's last runs (the same report as `pipeline status`).
enum TargetPage {
    static func render(_ report: StatusReport) -> String {
        var body = "<h1>\(HTML.escape(report.pipeline)) <small>\(HTML.escape(report.target))</small></h1>"
        for (label, service) in [("service", report.service), ("canary", report.canary)] {
            guard let service else {
                body += "<h2>\(label)</h2><p>does not exist</p>"
                continue
            }
            body += "<h2>\(label): \(HTML.escape(service.name))</h2><p>\(HTML.escape(service.taskDefinition)) · "
            body +=
                "\(service.running)/\(service.desired) running\(service.healthy.map { ", \($0)/\(service.desired) healthy" } ?? "")</p>"
            if !service.deployments.isEmpty {
                body +=
                    "<table><tr><th>deployment</th><th>status</th><th>rollout</th><th>tasks</th><th>revision</th></tr>"
                for d in service.deployments {
                    body +=
                        "<tr><td>\(HTML.escape(d.id))</td><td>\(HTML.escape(d.status))</td><td>\(HTML.escape(d.rolloutState))</td>"
                    body += "<td>\(d.running)/\(d.desired)</td><td>\(HTML.escape(d.taskDefinition))</td></tr>"
                }
                body += "</table>"
            }
            if !service.events.isEmpty {
                body +=
                    "<ul class=\"events\">"
                    + service.events.map { "<li>\(HTML.time($0.at)) \(HTML.escape($0.message))</li>" }.joined()
                    + "</ul>"
            }
        }
        if !report.traffic.isEmpty {
            body += "<h2>traffic</h2><table><tr><th>route</th><th>weights</th></tr>"
            for route in report.traffic {
                let weights = route.weights.map {
                    "\(HTML.escape(StatusReport.short($0.targetGroup))) \($0.weight ?? 1)"
                }
                body +=
                    "<tr><td>\(HTML.escape(StatusReport.short(route.id)))</td><td>\(weights.joined(separator: ", "))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>alarms</h2>"
        body +=
            report.alarms.isEmpty
            ? "<p>none watched</p>"
            : "<table>"
                + report.alarms.map {
                    "<tr><td>\(HTML.escape($0.name))</td><td>\(HTML.status($0.state == "ALARM" ? "failed" : "succeeded")) \(HTML.escape($0.state))</td><td>\(HTML.time($0.since))</td></tr>"
                }.joined() + "</table>"
        if let run = report.run {
            body +=
                "<h2>now</h2><p><a href=\"/runs/\(HTML.urlEncode(run.id))\">\(HTML.escape(run.id))</a> \(HTML.status(run.status))"
            if let waiting = run.waiting { body += " ⏸ \(HTML.escape(waiting))" }
            body += "</p>"
        }
        body += "<h2>last runs</h2><table>"
        for run in report.runs {
            body +=
                "<tr><td><a href=\"/runs/\(HTML.urlEncode(run.id))\">\(HTML.escape(run.id))</a></td><td>\(HTML.status(run.status.rawValue))</td>"
            body +=
                "<td><code>\(HTML.escape(String(run.sha.prefix(7))))</code></td><td>\(HTML.time(run.startedAt))</td></tr>"
        }
        return HTML.page(title: report.pipeline, body: body + "</table>")
    }
}
