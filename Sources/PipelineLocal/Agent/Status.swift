import Foundation
import PipelineCore

/// One task as `pipeline agent status` shows it.
public struct TaskStatus: Codable, Sendable, Hashable {
    public var id: String
    public var service: String
    public var pid: Int32
    public var port: Int?
    /// HEALTHY, UNHEALTHY or UNKNOWN (not yet checked).
    public var health: String
    /// PROVISIONING, RUNNING, DRAINING or STOPPING.
    public var status: String
    public var taskDefinition: String
    public var restarts: Int
    public var startedAt: Date
    public var log: String
}

/// A service, its deployments and tasks.
public struct ServiceStatus: Codable, Sendable, Hashable {
    public var name: String
    public var listener: String?
    public var taskDefinition: String
    public var desiredCount: Int
    public var runningCount: Int
    public var healthyCount: Int
    public var deployments: [DeploymentState]
    public var tasks: [TaskStatus]
    /// The latest stopped tasks and why they stopped, newest first.
    public var recentStops: [String]

    public var serviceState: ServiceState {
        ServiceState(
            name: name, arn: "local:service/\(name)", taskDefinition: taskDefinition, desiredCount: desiredCount,
            runningCount: runningCount,
            deployments: deployments)
    }
}

/// An alarm and its state.
public struct AlarmStatus: Codable, Sendable, Hashable {
    public var name: String
    public var listener: String
    public var service: String?
    public var metric: String
    public var state: AlarmStateValue
    public var reason: String
    public var updatedAt: Date?

    public var alarmState: AlarmState { AlarmState(name: name, state: state, reason: reason, updatedAt: updatedAt) }
}

/// A listener of the load balancer.
public struct ListenerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var port: Int
    public var healthCheckPath: String?
    /// Why it is not listening, if it is not.
    public var error: String?
    public var targets: Int
    public var requestsLastMinute: Int
    public var targetErrorsLastMinute: Int
}

/// Everything `pipeline agent status` prints.
public struct AgentStatus: Codable, Sendable {
    public var pid: Int32
    public var stateDir: String
    public var frontPort: Int?
    public var listeners: [ListenerStatus]
    public var services: [ServiceStatus]
    public var alarms: [AlarmStatus]
    /// Host name → listener, from dns-alias.
    public var hosts: [String: String]
}
