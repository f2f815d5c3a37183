import Foundation
import PipelineLocal

/// `pipeline agent status` as text.
enum AgentStatusText {
    static func render(_ status: AgentStatus) -> String {
        var out = "local agent pid \(status.pid), state \(status.stateDir)/local"
        out += status.frontPort.map { ", front listener 127.0.0.1:\($0)" } ?? ""
        out += "\n"
        if !status.listeners.isEmpty {
            out += "\nLOAD BALANCER\n"
            out += Terminal.table(
                ["LISTENER", "ADDRESS", "HEALTH CHECK", "TARGETS", "WEIGHTS", "REQUESTS/1m", "5XX/1m"],
                status.listeners.map { listener in
                    [
                        listener.name, listener.error ?? "127.0.0.1:\(listener.port)", listener.healthCheckPath ?? "-",
                        String(listener.targets),
                        listener.weights.map { w in w.keys.sorted().map { "\($0) \(w[$0]!)" }.joined(separator: ", ") }
                            ?? "by task",
                        String(listener.requestsLastMinute), String(listener.targetErrorsLastMinute),
                    ]
                })
            out += "\n"
        }
        for service in status.services {
            out += "\nSERVICE \(service.name): \(service.healthyCount) healthy / \(service.desiredCount) desired"
            out += service.listener.map { " behind \($0)" } ?? ""
            out += "\n"
            for d in service.deployments {
                out +=
                    "  deployment \(d.id) \(d.status) \(d.taskDefinition) \(d.rolloutState) running \(d.runningCount)/\(d.desiredCount)"
                out += d.failedTasks > 0 ? ", \(d.failedTasks) failed task(s)" : ""
                out += d.rolloutState == .failed ? ": \(d.rolloutStateReason)" : ""
                out += "\n"
            }
            if !service.tasks.isEmpty {
                let table = Terminal.table(
                    ["TASK", "PID", "PORT", "STATUS", "HEALTH", "REVISION", "RESTARTS"],
                    service.tasks.map {
                        [
                            $0.id, String($0.pid), $0.port.map(String.init) ?? "-", $0.status, $0.health,
                            $0.taskDefinition.replacingOccurrences(of: "local:task-definition/", with: ""),
                            String($0.restarts),
                        ]
                    })
                out += table.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            }
            for stop in service.recentStops.prefix(3) { out += "  stopped: \(stop)\n" }
        }
        if !status.alarms.isEmpty {
            out += "\nALARMS\n"
            out += Terminal.table(
                ["ALARM", "STATE", "METRIC", "SERVICE", "SINCE"],
                status.alarms.map {
                    [
                        $0.name, $0.state.rawValue, $0.metric, $0.service ?? "(all)",
                        $0.updatedAt.map { Terminal.timestamp($0) } ?? "-",
                    ]
                })
            out += "\n"
        }
        if !status.hosts.isEmpty {
            out += "\nHOSTS (front listener, Host header)\n"
            for (host, listener) in status.hosts.sorted(by: { $0.key < $1.key }) { out += "  \(host) → \(listener)\n" }
        }
        return out
    }
}
