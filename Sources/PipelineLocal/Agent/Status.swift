import Foundation
import PipelineCore

/// One task as `pipeline agent status` shows it.
package struct TaskStatus: Codable, Sendable, Hashable {
    package var id: String
    package var service: String
    package var pid: Int32
    package var port: Int?
    /// HEALTHY, UNHEALTHY or UNKNOWN (not yet checked).
    package var health: String
    /// PROVISIONING, RUNNING, DRAINING or STOPPING.
    package var status: String
    package var taskDefinition: String
    package var restarts: Int
    package var startedAt: Date
    package var log: String
}

/// A service, its deployments and tasks.
package struct ServiceStatus: Codable, Sendable, Hashable {
    package var name: String
    package var listener: String?
    package var taskDefinition: String
    package var desiredCount: Int
    package var runningCount: Int
    package var healthyCount: Int
    package var deployments: [DeploymentState]
    package var tasks: [TaskStatus]
    /// The latest stopped tasks and why they stopped, newest first.
    package var recentStops: [String]

    package var serviceState: ServiceState {
        var state = ServiceState(
            name: name, arn: "local:service/\(name)", taskDefinition: taskDefinition, desiredCount: desiredCount,
            runningCount: runningCount,
            deployments: deployments, targetGroups: listener == nil ? [] : [name])
        state.events = recentStops.map { ServiceEvent(at: nil, message: $0) }
        return state
    }
}

/// An alarm and its state.
package struct AlarmStatus: Codable, Sendable, Hashable {
    package var name: String
    package var listener: String
    package var service: String?
    package var metric: String
    package var state: AlarmStateValue
    package var reason: String
    package var updatedAt: Date?

    package var alarmState: AlarmState { AlarmState(name: name, state: state, reason: reason, updatedAt: updatedAt) }
}

/// A listener of the load balancer.
package struct ListenerStatus: Codable, Sendable, Hashable {
    package var name: String
    package var port: Int
    package var healthCheckPath: String?
    /// Why it is not listening, if it is not.
    package var error: String?
    package var targets: Int
    /// Service → weight while a weighted canary runs; nil: every healthy task in turn.
    package var weights: [String: Int]?
    package var requestsLastMinute: Int
    package var targetErrorsLastMinute: Int
}

/// Everything `pipeline agent status` prints.
package struct AgentStatus: Codable, Sendable {
    package var pid: Int32
    package var stateDir: String
    package var frontPort: Int?
    package var listeners: [ListenerStatus]
    package var services: [ServiceStatus]
    package var alarms: [AlarmStatus]
    /// Host name → listener, from dns-alias.
    package var hosts: [String: String]
}
