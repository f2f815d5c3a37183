import Foundation
import PipelineCore
import Synchronization

/// Task definitions this target registered or read, by ARN and by `family:revision`: a revision never
/// changes, so a run reads each one at most once (the build's diff, the register's comparison and the
/// readiness checks' container health checks share it).
final class TaskDefinitionCache: Sendable {
    private let known = Mutex<[String: TaskDefinitionRecord]>([:])

    func get(_ reference: String) -> TaskDefinitionRecord? { known.withLock { $0[reference] } }

    func put(_ record: TaskDefinitionRecord) {
        known.withLock {
            $0[record.arn] = record
            $0["\(record.family):\(record.revision)"] = record
        }
    }
}

/// The services this target described last, each with when: creating a canary copies main's load
/// balancers, network and capacity settings from the description its stage has just read instead of
/// reading main again. An entry older than `maxAge` is not used.
final class ServiceDescriptionCache: Sendable {
    static let maxAge: Duration = .seconds(30)
    private let known = Mutex<[String: (ECS.Service, ContinuousClock.Instant)]>([:])

    func put(_ services: [ECS.Service]) {
        let now = ContinuousClock.now
        known.withLock { known in
            for service in services { known[service.serviceName] = (service, now) }
        }
    }

    func recent(_ name: String) -> ECS.Service? {
        known.withLock { known in
            known[name].flatMap { ContinuousClock.now - $0.1 < Self.maxAge ? $0.0 : nil }
        }
    }
}

extension AWSDeploymentTarget {
    /// Whether a revision's containers declare a health check (read through the cache).
    func hasHealthCheck(_ arn: String) async throws -> Bool {
        let containers = try await taskDefinition(arn)?.document["containerDefinitions"]?.arrayValue ?? []
        return containers.contains { $0["healthCheck"] != nil && $0["healthCheck"] != .null }
    }

    /// Running (and, with `includeStopped`, recently stopped) tasks of a service from ListTasks and
    /// DescribeTasks, with container health and the target health of every target group of the service.
    package func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        guard let svc = try await self.service(service) else { return [] }
        return try await tasks(of: svc, includeStopped: includeStopped)
    }

    /// The tasks of a service just described: no second DescribeServices for its target groups. The
    /// task lists and the target health are read at once (one round trip), then DescribeTasks.
    package func tasks(of svc: ServiceState, includeStopped: Bool) async throws -> [TaskState] {
        let (ecs, cluster, elb, service) = (self.ecs, self.cluster, self.elb, svc.name)
        async let runningARNs = ecs.listTasks(cluster: cluster, serviceName: service, desiredStatus: "RUNNING")
        async let stoppedARNs =
            includeStopped ? ecs.listTasks(cluster: cluster, serviceName: service, desiredStatus: "STOPPED") : []
        async let health = withThrowingTaskGroup(of: (String, [ELBv2.TargetHealth]).self) { group in
            for targetGroup in Set(svc.targetGroups) {
                group.addTask { (targetGroup, try await elb.describeTargetHealth(targetGroupArn: targetGroup)) }
            }
            return try await group.reduce(into: [(group: String, health: [ELBv2.TargetHealth])]()) {
                $0.append((group: $1.0, health: $1.1))
            }.sorted { $0.group < $1.group }
        }
        let arns = try await runningARNs + stoppedARNs
        let targets = try await health
        guard !arns.isEmpty else { return [] }
        let tasks = try await ecs.describeTasks(cluster: cluster, tasks: Array(Set(arns)))
        var out: [TaskState] = []
        for task in tasks {
            let stopped = task.lastStatus == "STOPPED" || task.lastStatus == "DEPROVISIONING"
            let running = task.lastStatus == "RUNNING" && task.desiredStatus != "STOPPED"
            var containerHealthy: Bool?
            if let td = task.taskDefinitionArn, try await hasHealthCheck(td) {
                containerHealthy = task.healthStatus == "HEALTHY"
            }
            let ip = task.attachments?.flatMap { $0.details ?? [] }.first { $0.name == "privateIPv4Address" }?.value
            let hostPorts = Set(task.containers?.flatMap { $0.networkBindings ?? [] }.compactMap(\.hostPort) ?? [])
            let health: [TargetHealthState] =
                stopped
                ? []
                : targets.map { group in
                    let match = group.health.first { t in
                        if let ip { return t.id == ip }
                        return t.port.map { hostPorts.contains($0) } ?? false
                    }
                    return TargetHealthState(
                        targetGroup: group.group, state: match?.state ?? "unregistered", reason: match?.reason)
                }
            out.append(
                TaskState(
                    id: task.taskArn, deploymentID: task.startedBy ?? "", taskDefinition: task.taskDefinitionArn ?? "",
                    running: running, stopped: stopped, containerHealthy: containerHealthy, targets: health,
                    stoppedReason: stopped ? Self.stopDescription(task) : nil, failed: stopped && Self.failed(task)))
        }
        return out
    }

    /// The stop reason with each container's exit code and reason.
    static func stopDescription(_ task: ECS.Task) -> String {
        var text = task.stoppedReason ?? "no reason given"
        if let code = task.stopCode { text += " (\(code))" }
        for c in task.containers ?? [] where c.exitCode != nil || c.reason != nil {
            text += "; container \(c.name ?? "?")"
            if let exit = c.exitCode { text += " exited \(exit)" }
            if let reason = c.reason { text += ": \(reason)" }
        }
        return text
    }

    /// A task that stopped because it failed, not because the scheduler scaled in or replaced it.
    static func failed(_ task: ECS.Task) -> Bool {
        if ["TaskFailedToStart", "EssentialContainerExited"].contains(task.stopCode ?? "") { return true }
        let reason = (task.stoppedReason ?? "").lowercased()
        return reason.contains("health check") || reason.contains("cannotpull") || reason.contains("failed")
    }

    package func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        var all = names
        if let prefix { all += try await cloudWatch.describeAlarms(prefix: prefix).map(\.AlarmName) }
        var out: [AlarmTransition] = []
        for name in Array(Set(all)).sorted() {
            for item in try await cloudWatch.describeAlarmHistory(name: name, start: since) {
                guard item.HistoryItemType == nil || item.HistoryItemType == "StateUpdate",
                    let transition = Self.transition(item)
                else { continue }
                out.append(transition)
            }
        }
        return out.sorted { $0.at < $1.at }
    }

    /// Reads a `StateUpdate` item's HistoryData; falls back on its summary ("Alarm updated from OK to ALARM").
    static func transition(_ item: CloudWatch.AlarmHistoryItem) -> AlarmTransition? {
        struct State: Decodable {
            var stateValue: String?
            var stateReason: String?
        }
        struct Data: Decodable {
            var oldState: State?
            var newState: State?
        }
        if let text = item.HistoryData,
            let data = try? JSONDecoder().decode(Data.self, from: Foundation.Data(text.utf8)),
            let to = data.newState?.stateValue
        {
            return AlarmTransition(
                alarm: item.AlarmName, at: item.Timestamp,
                from: AlarmStateValue(rawValue: data.oldState?.stateValue ?? "?"), to: AlarmStateValue(rawValue: to),
                reason: data.newState?.stateReason ?? item.HistorySummary ?? "")
        }
        let words = (item.HistorySummary ?? "").split(separator: " ")
        guard let i = words.firstIndex(of: "to"), i + 1 < words.count, let f = words.firstIndex(of: "from"),
            f + 1 < words.count
        else { return nil }
        return AlarmTransition(
            alarm: item.AlarmName, at: item.Timestamp, from: AlarmStateValue(rawValue: String(words[f + 1])),
            to: AlarmStateValue(rawValue: String(words[i + 1])),
            reason: item.HistorySummary ?? "")
    }
}
