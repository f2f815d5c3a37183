import Foundation
import PipelineCore

extension StatusReport {
    /// The report for people: one block, the same in a terminal frame and in a pipe.
    func text(main: String, canary: String) -> String {
        var out = ["\(pipeline) (\(file)) on \(target)  \(Terminal.timestamp(time))"]
        describe(main, service, into: &out)
        describe(canary, self.canary, into: &out)
        for route in traffic {
            let weights = route.weights.map { "\(Self.short($0.targetGroup)) \($0.weight ?? 1)" }
            out.append("  traffic \(Self.short(route.id)): \(weights.joined(separator: ", "))")
        }
        if alarms.isEmpty {
            out.append("  alarms: none watched")
        } else {
            out.append(
                "  alarms: "
                    + alarms.map {
                        "\($0.name) \($0.state)\($0.since.map { " since \(Terminal.timestamp($0))" } ?? "")"
                    }
                    .joined(separator: ", "))
        }
        if let events = service?.events, !events.isEmpty {
            out.append("  events:")
            for event in events {
                out.append("    \(event.at.map { Terminal.timestamp($0) + " " } ?? "")\(event.message)")
            }
        }
        if let run {
            out.append(
                "  run \(run.id) (\(String(run.sha.prefix(7)))) \(run.status), started \(Terminal.timestamp(run.startedAt))"
            )
            for stage in run.stages {
                let time = stage.elapsedMs.map { "  " + DurationFormat.format(.milliseconds($0)) } ?? ""
                out.append("    \(Self.mark(stage.status)) \(stage.id)  \(stage.status)\(time)")
            }
            if let waiting = run.waiting {
                out.append("    waiting: \(waiting) — `pipeline approve \(run.id)` or `pipeline reject \(run.id)`")
            }
        }
        if runs.isEmpty {
            out.append("  no runs recorded")
        } else {
            out.append(
                Terminal.table(
                    ["RUN", "STATUS", "COMMIT", "TRIGGER", "STARTED"],
                    runs.map {
                        [
                            $0.id, $0.status.rawValue + ($0.dryRun == true ? " (dry run)" : ""),
                            String($0.sha.prefix(7)), $0.trigger, Terminal.timestamp($0.startedAt),
                        ]
                    }))
        }
        return out.joined(separator: "\n")
    }

    private func describe(_ name: String, _ service: Service?, into out: inout [String]) {
        guard let service else {
            out.append("  \(name): does not exist")
            return
        }
        let revision = service.taskDefinition.isEmpty ? "no revision" : service.taskDefinition
        let healthy = service.healthy.map { ", \($0)/\(service.desired) healthy" } ?? ""
        out.append("  \(name): \(revision), \(service.running)/\(service.desired) running\(healthy)")
        for d in service.deployments {
            out.append("    \(d.status) \(d.id) \(d.rolloutState) \(d.running)/\(d.desired) \(d.taskDefinition)")
        }
    }

    static func mark(_ status: String) -> String {
        switch StageStatus(rawValue: status) {
        case .succeeded: return "✓"
        case .failed, .timedOut: return "✗"
        case .running: return "▸"
        case .waiting: return "⏸"
        case .skipped, .cancelled: return "-"
        default: return "·"
        }
    }

    /// The last part of an ARN (`targetgroup/web/abc…` → `web/abc…`), for a line that fits.
    static func short(_ arn: String) -> String {
        guard arn.hasPrefix("arn:"), let slash = arn.firstIndex(of: "/") else { return arn }
        return String(arn[arn.index(after: slash)...])
    }
}
