import Foundation
import PipelineCore

/// A registered task definition and the snapshot of the commit it runs.
public struct LocalTaskDefinition: Codable, Sendable, Hashable {
    public var family: String
    public var revision: Int
    public var document: JSONValue
    /// The folder tasks of this revision run in (an export of the commit).
    public var snapshot: String
    public var tags: [String: String]

    public var arn: String { "local:task-definition/\(family):\(revision)" }

    public var record: TaskDefinitionRecord {
        TaskDefinitionRecord(arn: arn, family: family, revision: revision, document: document)
    }
}

/// One deployment of a local service.
public struct LocalDeployment: Codable, Sendable, Hashable {
    public var id: String
    public var taskDefinition: String
    /// PRIMARY or ACTIVE.
    public var status: DeploymentStatus
    /// IN_PROGRESS, COMPLETED or FAILED.
    public var rolloutState: RolloutState
    public var rolloutStateReason: String
    public var failedTasks: Int
    public var createdAt: Date
}

/// A service as the agent keeps it: what should run, and how to roll it out.
public struct LocalService: Codable, Sendable, Hashable {
    public var name: String
    /// The load balancer (named after the main service) its tasks register with, if any.
    public var loadBalancer: String?
    public var desiredCount: Int
    public var maximumPercent: Int
    public var minimumHealthyPercent: Int
    public var circuitBreaker: Bool
    public var circuitBreakerRollback: Bool
    /// Newest first; the first is PRIMARY.
    public var deployments: [LocalDeployment]
    /// The task definition of the last COMPLETED deployment (what the circuit breaker rolls back to).
    public var lastCompleted: String?

    public var primary: LocalDeployment? { deployments.first }
    public var taskDefinition: String { primary?.taskDefinition ?? "" }
}

/// A listener: `127.0.0.1:port` in front of the tasks of every service registered with it.
public struct LocalListener: Codable, Sendable, Hashable {
    public var name: String
    public var port: Int
    public var healthCheckPath: String?
}

/// A task process the agent started, remembered so that a restarted agent can stop leftovers.
public struct LocalTaskPID: Codable, Sendable, Hashable {
    public var task: String
    public var service: String
    public var pid: Int32
}

/// Everything the agent must bring back after a restart.
public struct LocalDesiredState: Codable, Sendable {
    public var taskDefinitions: [String: [LocalTaskDefinition]] = [:]
    public var services: [String: LocalService] = [:]
    public var listeners: [String: LocalListener] = [:]
    public var alarms: [String: AlarmSpec] = [:]
    /// Host name → listener name (dns-alias).
    public var aliases: [String: String] = [:]
    public var processes: [LocalTaskPID] = []
    public var nextID = 1

    public init() {}

    public func taskDefinition(_ ref: String) -> LocalTaskDefinition? {
        var name = ref
        if name.hasPrefix("local:task-definition/") { name.removeFirst("local:task-definition/".count) }
        let parts = name.split(separator: ":")
        guard let family = parts.first.map(String.init), let list = taskDefinitions[family] else { return nil }
        if parts.count == 2, let revision = Int(parts[1]) { return list.first { $0.revision == revision } }
        return parts.count == 1 ? list.last : nil
    }
}

/// What a container of a task definition runs, read from its `containerDefinitions` entry.
public struct ContainerSpec: Sendable, Hashable {
    public var name: String
    public var argv: [String]
    public var environment: [String: String]
    public var essential: Bool
    public var hasPort: Bool
    public var workingDirectory: String?
    public var healthCheck: HealthCheckSpec?
    public var stopTimeout: Int

    /// The containers of a task definition document; throws a message naming the field when one cannot run.
    public static func parse(_ document: JSONValue) throws -> [ContainerSpec] {
        guard let containers = document["containerDefinitions"]?.arrayValue, !containers.isEmpty else {
            throw PipelineError(.invalidInput, "the task definition has no containerDefinitions")
        }
        var specs: [ContainerSpec] = []
        for (i, c) in containers.enumerated() {
            let field = "containerDefinitions[\(i)]"
            let name = c["name"]?.stringValue ?? "container-\(i)"
            let entry = try strings(c["entryPoint"], "\(field).entryPoint")
            let command = try strings(c["command"], "\(field).command")
            guard !(entry + command).isEmpty else {
                throw PipelineError(
                    .invalidInput,
                    "\(field) (\(name)): the local provider runs entryPoint + command as a process; both are empty")
            }
            var environment: [String: String] = [:]
            for e in c["environment"]?.arrayValue ?? [] {
                if let key = e["name"]?.stringValue { environment[key] = e["value"]?.stringValue ?? "" }
            }
            let ports = c["portMappings"]?.arrayValue ?? []
            specs.append(
                ContainerSpec(
                    name: name, argv: entry + command, environment: environment,
                    essential: c["essential"].map { $0 != .bool(false) } ?? true, hasPort: !ports.isEmpty,
                    workingDirectory: c["workingDirectory"]?.stringValue,
                    healthCheck: try c["healthCheck"].map {
                        try HealthCheckSpec.parse($0, field: "\(field).healthCheck")
                    },
                    stopTimeout: Int(c["stopTimeout"]?.intValue ?? 30)))
        }
        return specs
    }

    static func strings(_ value: JSONValue?, _ field: String) throws -> [String] {
        guard let value, value != .null else { return [] }
        guard let list = value.arrayValue else {
            throw PipelineError(.invalidInput, "\(field) must be a list of strings")
        }
        return try list.map {
            guard let s = $0.stringValue else {
                throw PipelineError(.invalidInput, "\(field) must be a list of strings")
            }
            return s
        }
    }
}

/// A container `healthCheck`, as ECS reads it.
public struct HealthCheckSpec: Sendable, Hashable {
    /// The argv to run (`CMD` as is; `CMD-SHELL` through `/bin/sh -c`).
    public var argv: [String]
    public var interval: Int
    public var timeout: Int
    public var retries: Int
    public var startPeriod: Int

    static func parse(_ value: JSONValue, field: String) throws -> HealthCheckSpec {
        let command = try ContainerSpec.strings(value["command"], "\(field).command")
        let argv: [String]
        switch command.first {
        case "CMD": argv = Array(command.dropFirst())
        case "CMD-SHELL": argv = ["/bin/sh", "-c", command.dropFirst().joined(separator: " ")]
        default:
            throw PipelineError(
                .invalidInput, "\(field).command must start with CMD or CMD-SHELL, got \(command.first ?? "nothing")")
        }
        guard !argv.isEmpty else { throw PipelineError(.invalidInput, "\(field).command has nothing to run") }
        return HealthCheckSpec(
            argv: argv, interval: Int(value["interval"]?.intValue ?? 30), timeout: Int(value["timeout"]?.intValue ?? 5),
            retries: Int(value["retries"]?.intValue ?? 3), startPeriod: Int(value["startPeriod"]?.intValue ?? 0))
    }
}
