import Foundation
import PipelineCore

/// A registered task definition and the snapshot of the commit it runs.
package struct LocalTaskDefinition: Codable, Sendable, Hashable {
    package var family: String
    package var revision: Int
    package var document: JSONValue
    /// The folder tasks of this revision run in (an export of the commit).
    package var snapshot: String
    package var tags: [String: String]

    package var arn: String { "local:task-definition/\(family):\(revision)" }

    package var record: TaskDefinitionRecord {
        TaskDefinitionRecord(arn: arn, family: family, revision: revision, document: document)
    }
}

/// One deployment of a local service.
package struct LocalDeployment: Codable, Sendable, Hashable {
    package var id: String
    package var taskDefinition: String
    /// PRIMARY or ACTIVE.
    package var status: DeploymentStatus
    /// IN_PROGRESS, COMPLETED or FAILED.
    package var rolloutState: RolloutState
    package var rolloutStateReason: String
    package var failedTasks: Int
    package var createdAt: Date
}

/// A service as the agent keeps it: what should run, and how to roll it out.
package struct LocalService: Codable, Sendable, Hashable {
    package var name: String
    /// The load balancer (named after the main service) its tasks register with, if any.
    package var loadBalancer: String?
    /// True for a weighted canary: its tasks are a target group of their own behind the listener, sent
    /// traffic only by the listener's weights (as an ECS service in its own ELBv2 target group).
    package var ownTargetGroup: Bool?
    package var desiredCount: Int
    package var maximumPercent: Int
    package var minimumHealthyPercent: Int
    package var circuitBreaker: Bool
    package var circuitBreakerRollback: Bool
    /// Newest first; the first is PRIMARY.
    package var deployments: [LocalDeployment]
    /// The task definition of the last COMPLETED deployment (what the circuit breaker rolls back to).
    package var lastCompleted: String?

    package var primary: LocalDeployment? { deployments.first }
    package var taskDefinition: String { primary?.taskDefinition ?? "" }
}

/// A listener: `127.0.0.1:port` in front of the tasks of every service registered with it.
package struct LocalListener: Codable, Sendable, Hashable {
    package var name: String
    package var port: Int
    package var healthCheckPath: String?
    /// Service → weight while a weighted canary runs; nil: every healthy task in turn (a share by task count).
    package var weights: [String: Int]?
}

/// A task process the agent started, remembered so that a restarted agent can stop leftovers.
package struct LocalTaskPID: Codable, Sendable, Hashable {
    package var task: String
    package var service: String
    package var pid: Int32
}

/// Everything the agent must bring back after a restart.
package struct LocalDesiredState: Codable, Sendable {
    package var taskDefinitions: [String: [LocalTaskDefinition]] = [:]
    package var services: [String: LocalService] = [:]
    package var listeners: [String: LocalListener] = [:]
    package var alarms: [String: AlarmSpec] = [:]
    /// Host name → listener name (dns-alias).
    package var aliases: [String: String] = [:]
    package var processes: [LocalTaskPID] = []
    package var nextID = 1

    package init() {}

    package func taskDefinition(_ ref: String) -> LocalTaskDefinition? {
        var name = ref
        if name.hasPrefix("local:task-definition/") { name.removeFirst("local:task-definition/".count) }
        let parts = name.split(separator: ":")
        guard let family = parts.first.map(String.init), let list = taskDefinitions[family] else { return nil }
        if parts.count == 2, let revision = Int(parts[1]) { return list.first { $0.revision == revision } }
        return parts.count == 1 ? list.last : nil
    }
}

/// What a container of a task definition runs, read from its `containerDefinitions` entry.
package struct ContainerSpec: Sendable, Hashable {
    package var name: String
    package var argv: [String]
    package var environment: [String: String]
    package var essential: Bool
    package var hasPort: Bool
    package var workingDirectory: String?
    package var healthCheck: HealthCheckSpec?
    package var stopTimeout: Int

    /// The containers of a task definition document; throws a message naming the field when one cannot run.
    package static func parse(_ document: JSONValue) throws -> [ContainerSpec] {
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
package struct HealthCheckSpec: Sendable, Hashable {
    /// The argv to run (`CMD` as is; `CMD-SHELL` through `/bin/sh -c`).
    package var argv: [String]
    package var interval: Int
    package var timeout: Int
    package var retries: Int
    package var startPeriod: Int

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
