import Foundation
import PipelineCore
import Synchronization

/// An in-memory deployment target for unit tests: services whose deployments complete with healthy tasks
/// at once, and alarms whose every state change is kept in a history (as CloudWatch's).
public final class FakeDeploymentTarget: DeploymentTarget, Sendable {
    private struct State {
        var services: [String: ServiceState] = [:]
        var tasks: [String: [TaskState]] = [:]
        var alarms: [String: AlarmState] = [:]
        var history: [AlarmTransition] = []
        var next = 1
        var calls: [String] = []
    }
    private let state = Mutex(State())

    public init() {}

    public var description: String { "a fake target" }

    /// Every call made, by name, in order.
    public var calls: [String] { state.withLock { $0.calls } }

    /// Sets an alarm's state now, recording the transition when it changes.
    public func setAlarm(_ name: String, _ value: String, reason: String = "set by the test") {
        state.withLock { s in
            let old = s.alarms[name]
            let now = Date()
            if old?.state != value {
                s.history.append(
                    AlarmTransition(
                        alarm: name, at: now, from: old?.state ?? AlarmStateValue.insufficientData, to: value,
                        reason: reason))
            }
            s.alarms[name] = AlarmState(name: name, state: value, reason: reason, updatedAt: now)
        }
    }

    /// Adds a service running `taskDefinition` with healthy tasks.
    public func addService(_ name: String, taskDefinition: String, desiredCount: Int) {
        state.withLock { s in
            let id = "dep-\(s.next)"
            s.next += 1
            s.services[name] = ServiceState(
                name: name, arn: "fake:service/\(name)", taskDefinition: taskDefinition, desiredCount: desiredCount,
                runningCount: desiredCount,
                deployments: [
                    DeploymentState(
                        id: id, status: "PRIMARY", taskDefinition: taskDefinition, rolloutState: "COMPLETED",
                        rolloutStateReason: "", desiredCount: desiredCount, runningCount: desiredCount, failedTasks: 0,
                        createdAt: Date())
                ])
            s.tasks[name] = (0..<desiredCount).map {
                TaskState(
                    id: "\(name)-\(id)-\($0)", deploymentID: id, taskDefinition: taskDefinition, running: true,
                    stopped: false, containerHealthy: nil, targets: [])
            }
        }
    }

    private func record(_ call: String) { state.withLock { $0.calls.append(call) } }

    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? { nil }
    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? { nil }
    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    {
        record("registerTaskDefinition")
        let family = document["family"]?.stringValue ?? "fake"
        return TaskDefinitionRecord(arn: "\(family):1", family: family, revision: 1, document: document)
    }

    public func service(_ name: String) async throws -> ServiceState? { state.withLock { $0.services[name] } }

    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        record("createService \(name)")
        addService(name, taskDefinition: taskDefinition, desiredCount: desiredCount)
        return try await service(name)!
    }

    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        record("updateService \(name)")
        guard let current = try await service(name) else { throw StageFailure("no service \(name)") }
        addService(
            name, taskDefinition: update.taskDefinition ?? current.taskDefinition,
            desiredCount: update.desiredCount ?? current.desiredCount)
        return try await service(name)!
    }

    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        state.withLock { $0.tasks[service] ?? [] }
    }

    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        state.withLock { s in
            s.alarms.values.filter { names.contains($0.name) || prefix.map($0.name.hasPrefix) == true }
                .sorted { $0.name < $1.name }
        }
    }

    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        state.withLock { s in
            s.history.filter { t in
                t.at >= since && (names.contains(t.alarm) || prefix.map(t.alarm.hasPrefix) == true)
            }
        }
    }

    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        AliasTarget(dnsName: nameOrARN, hostedZoneID: "fake", evaluateTargetHealth: true)
    }
    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        AliasTarget(dnsName: service, hostedZoneID: "fake", evaluateTargetHealth: true)
    }
    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    {
        record("upsertAlias \(name)")
        return "change-1"
    }
    public func changeStatus(_ changeID: String) async throws -> String { "INSYNC" }
}
