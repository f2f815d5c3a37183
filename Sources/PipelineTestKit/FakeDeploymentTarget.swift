import Foundation
import PipelineCore
import Synchronization

/// An in-memory deployment target for unit tests of stages: task definitions, services whose
/// deployments follow a script (complete at once, after some looks, fail, lose a task, or never
/// finish), alarms with a history of every state change (as CloudWatch keeps), and Route 53 changes.
public final class FakeDeploymentTarget: DeploymentTarget, Sendable {
    /// How the next deployments of a service go.
    public enum Rollout: Sendable, Hashable {
        /// COMPLETED with healthy tasks at once.
        case completes
        /// IN_PROGRESS for that many looks at the service, then COMPLETED with healthy tasks.
        case completesAfter(looks: Int)
        /// FAILED with ECS's reason.
        case fails(reason: String)
        /// IN_PROGRESS with a task of the deployment stopped because it failed.
        case taskStops(reason: String)
        /// IN_PROGRESS forever (for timeouts).
        case staysInProgress
    }

    private struct Service {
        var state: ServiceState
        var tasks: [TaskState]
        var looksLeft: Int?
    }

    private struct State {
        var services: [String: Service] = [:]
        var rollouts: [String: Rollout] = [:]
        var taskDefinitions: [TaskDefinitionRecord] = []
        var tags: [String: [String: String]] = [:]
        var routes: [String: TrafficRoute] = [:]
        var routeOrder: [String] = []
        var weightHistory: [String] = []
        var metrics: [String: Double] = [:]
        var alarms: [String: AlarmState] = [:]
        var history: [AlarmTransition] = []
        var records: [String: AliasTarget] = [:]
        var changes: [String: Int] = [:]
        var changeLooks = 0
        var brownouts: [String: Int] = [:]
        var next = 1
        var calls: [String] = []
    }
    private let state = Mutex(State())

    /// An empty target.
    public init() {}

    /// Says what this is in logs.
    public var description: String { "a fake target" }

    /// Every call that changes something, by name, in order (e.g. `updateService web`).
    public var calls: [String] { state.withLock { $0.calls } }

    /// Sets an alarm's state now, recording the transition when it changes.
    public func setAlarm(_ name: String, _ value: AlarmStateValue, reason: String = "set by the test") {
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
            let id = Self.nextID(&s)
            s.services[name] = Self.settled(name, id: id, taskDefinition: taskDefinition, count: desiredCount)
        }
    }

    /// Sets what `metricValue` answers for a query (by its description); unset queries have no data.
    public func setMetric(_ query: MetricQuerySpec, _ value: Double?) {
        state.withLock { $0.metrics[query.description] = value }
    }

    /// The value set for a query.
    public func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        state.withLock { $0.metrics[query.description] }
    }

    /// Puts a service in target groups (as its load balancer registration).
    public func setTargetGroups(_ service: String, _ groups: [String]) {
        state.withLock { $0.services[service]?.state.targetGroups = groups }
    }

    /// Adds a listener route (a rule, or a listener's default action) forwarding as given.
    public func addRoute(_ id: String, listenerDefault: Bool = false, forward: [WeightedTarget]) {
        state.withLock { s in
            s.routes[id] = TrafficRoute(id: id, isListenerDefault: listenerDefault, forward: forward)
            s.routeOrder.append(id)
        }
    }

    /// A route as it forwards now.
    public func route(_ id: String) -> TrafficRoute? { state.withLock { $0.routes[id] } }

    /// Every weight change, in order: `ID TG=W TG=W`.
    public var weightChanges: [String] { state.withLock { $0.weightHistory } }

    /// The routes that forward to a target group.
    public func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        state.withLock { s in
            s.routeOrder.compactMap { s.routes[$0] }.filter { $0.forward.contains { $0.targetGroup == targetGroup } }
        }
    }

    /// Sets a route's weights.
    public func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        record("setTraffic \(route.id)")
        try state.withLock { s in
            guard s.routes[route.id] != nil else { throw StageFailure("no route \(route.id)") }
            s.routes[route.id]?.forward = forward
            s.weightHistory.append(
                ([route.id] + forward.map { "\($0.targetGroup)=\($0.weight.map(String.init) ?? "-")" }).joined(
                    separator: " "))
        }
    }

    /// Creates a canary registered in its own target group.
    public func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState {
        var created = try await createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount)
        if let targetGroup {
            setTargetGroups(name, [targetGroup])
            created.targetGroups = [targetGroup]
        }
        return created
    }

    /// Scripts the next deployments of a service (until scripted again).
    public func script(_ service: String, _ rollout: Rollout) {
        state.withLock { $0.rollouts[service] = rollout }
    }

    /// The next `times` reads of a kind (`service`, `latestTaskDefinition`) fail with a transient error,
    /// as a throttled or briefly unavailable platform answers.
    public func brownout(_ call: String, times: Int) { state.withLock { $0.brownouts[call] = times } }

    /// The error a brownout answers.
    public struct Unavailable: TransientFailure, CustomStringConvertible {
        /// Always transient.
        public var isTransient: Bool { true }
        /// What failed.
        public var description: String
    }

    private func failIfBrownout(_ call: String) throws {
        try state.withLock { s in
            guard let left = s.brownouts[call], left > 0 else { return }
            s.brownouts[call] = left - 1
            throw Unavailable(description: "\(call): 503 ServiceUnavailable (fake brownout)")
        }
    }

    /// Makes every Route 53 change PENDING for that many looks before INSYNC.
    public func changesTakeLooks(_ looks: Int) { state.withLock { $0.changeLooks = looks } }

    /// Adds a task definition revision (as if registered earlier).
    @discardableResult
    public func addTaskDefinition(_ document: JSONValue) -> TaskDefinitionRecord {
        state.withLock { s in Self.register(document, in: &s) }
    }

    /// Where an alias record points, if it exists.
    public func record(named name: String) -> AliasTarget? { state.withLock { $0.records[name] } }

    private func record(_ call: String) { state.withLock { $0.calls.append(call) } }

    private static func nextID(_ s: inout State) -> String {
        defer { s.next += 1 }
        return "dep-\(s.next)"
    }

    private static func register(_ document: JSONValue, in s: inout State) -> TaskDefinitionRecord {
        let family = document["family"]?.stringValue ?? "fake"
        let revision = s.taskDefinitions.filter { $0.family == family }.count + 1
        let record = TaskDefinitionRecord(
            arn: "arn:fake:task-definition/\(family):\(revision)", family: family, revision: revision,
            document: document)
        s.taskDefinitions.append(record)
        return record
    }

    private static func settled(_ name: String, id: String, taskDefinition: String, count: Int) -> Service {
        let deployment = DeploymentState(
            id: id, status: .primary, taskDefinition: taskDefinition, rolloutState: .completed,
            rolloutStateReason: "", desiredCount: count, runningCount: count, failedTasks: 0, createdAt: Date())
        let tasks = (0..<count).map {
            TaskState(
                id: "\(name)-\(id)-\($0)", deploymentID: id, taskDefinition: taskDefinition, running: true,
                stopped: false, containerHealthy: nil, targets: [])
        }
        return Service(
            state: ServiceState(
                name: name, arn: "arn:fake:service/\(name)", taskDefinition: taskDefinition, desiredCount: count,
                runningCount: count, deployments: [deployment]),
            tasks: tasks, looksLeft: nil)
    }

    /// Starts a deployment of `name` as its script says.
    private static func deploy(_ name: String, taskDefinition: String, count: Int, in s: inout State) {
        let id = nextID(&s)
        var service = settled(name, id: id, taskDefinition: taskDefinition, count: count)
        func inProgress(reason: String = "", rollout: RolloutState = .inProgress, tasks: [TaskState] = []) {
            service.state.deployments[0].rolloutState = rollout
            service.state.deployments[0].rolloutStateReason = reason
            service.state.deployments[0].runningCount = 0
            service.state.runningCount = 0
            service.tasks = tasks
        }
        switch s.rollouts[name] ?? .completes {
        case .completes: break
        case .completesAfter(let looks):
            inProgress()
            service.looksLeft = looks
        case .fails(let reason):
            inProgress(reason: reason, rollout: .failed)
            service.state.deployments[0].failedTasks = 1
        case .taskStops(let reason):
            inProgress(tasks: [
                TaskState(
                    id: "\(name)-\(id)-0", deploymentID: id, taskDefinition: taskDefinition, running: false,
                    stopped: true, containerHealthy: nil, targets: [], stoppedReason: reason, failed: true)
            ])
            service.state.deployments[0].failedTasks = 1
        case .staysInProgress:
            inProgress()
        }
        s.services[name] = service
    }

    /// The latest revision of a family.
    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        try failIfBrownout("latestTaskDefinition")
        return state.withLock { $0.taskDefinitions.last { $0.family == family } }
    }
    /// A revision by ARN or `family:revision`.
    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        state.withLock { s in
            s.taskDefinitions.first { $0.arn == arn || "\($0.family):\($0.revision)" == arn }
        }
    }
    /// Registers a new revision.
    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    {
        record("registerTaskDefinition")
        return state.withLock { s in Self.register(document, in: &s) }
    }

    /// Adds tags to a revision.
    public func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws {
        record("tagTaskDefinition \(arn)")
        state.withLock { s in s.tags[arn, default: [:]].merge(tags) { _, new in new } }
    }

    /// The tags of a revision.
    public func tags(of arn: String) -> [String: String] { state.withLock { $0.tags[arn] ?? [:] } }

    /// Of the newest `scan` revisions of a family, those carrying `tag`, newest first.
    public func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision] {
        state.withLock { s in
            s.taskDefinitions.filter { $0.family == family }.reversed().prefix(scan).compactMap { td in
                guard let tags = s.tags[td.arn], tags[tag] != nil else { return nil }
                return TaggedRevision(arn: td.arn, revision: td.revision, tags: tags)
            }
        }
    }

    /// A service; each look moves a deployment scripted `completesAfter` one step on.
    public func service(_ name: String) async throws -> ServiceState? {
        try failIfBrownout("service")
        return state.withLock { s in
            guard var service = s.services[name] else { return nil }
            if let left = service.looksLeft {
                if left <= 0 {
                    let id = service.state.deployments[0].id
                    service = Self.settled(
                        name, id: id, taskDefinition: service.state.taskDefinition, count: service.state.desiredCount)
                } else {
                    service.looksLeft = left - 1
                }
                s.services[name] = service
            }
            return service.state
        }
    }

    /// Creates a service as a copy of another.
    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        record("createService \(name)")
        return try state.withLock { s in
            guard s.services[template] != nil else { throw StageFailure("no service \(template) to copy") }
            Self.deploy(name, taskDefinition: taskDefinition, count: desiredCount, in: &s)
            return s.services[name]!.state
        }
    }

    /// Updates a service: a new deployment when the revision changes or one is forced, else a scale.
    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        record("updateService \(name)")
        return try state.withLock { s in
            guard let current = s.services[name] else { throw StageFailure("no service \(name)") }
            let revision = update.taskDefinition ?? current.state.taskDefinition
            let count = update.desiredCount ?? current.state.desiredCount
            if revision != current.state.taskDefinition || update.forceNewDeployment {
                Self.deploy(name, taskDefinition: revision, count: count, in: &s)
            } else {
                let id = current.state.deployments.first?.id ?? Self.nextID(&s)
                s.services[name] = Self.settled(name, id: id, taskDefinition: revision, count: count)
            }
            return s.services[name]!.state
        }
    }

    /// The service's tasks (stopped ones only when asked).
    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        state.withLock { s in (s.services[service]?.tasks ?? []).filter { includeStopped || !$0.stopped } }
    }

    /// Alarms by names and prefix.
    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        state.withLock { s in
            s.alarms.values.filter { names.contains($0.name) || prefix.map($0.name.hasPrefix) == true }
                .sorted { $0.name < $1.name }
        }
    }

    /// Their transitions since a time.
    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        state.withLock { s in
            s.history.filter { t in
                t.at >= since && (names.contains(t.alarm) || prefix.map(t.alarm.hasPrefix) == true)
            }
        }
    }

    /// `NAME.elb.fake` in zone `ZFAKE`.
    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        AliasTarget(dnsName: "\(nameOrARN).elb.fake", hostedZoneID: "ZFAKE", evaluateTargetHealth: true)
    }
    /// `SERVICE.NAMESPACE` in zone `ZNS`.
    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        AliasTarget(dnsName: "\(service).\(namespaceID)", hostedZoneID: "ZNS", evaluateTargetHealth: true)
    }
    /// Points the record; "" when it already pointed there.
    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    {
        return state.withLock { s in
            if let current = s.records[name], current.dnsName == target.dnsName,
                current.hostedZoneID == target.hostedZoneID
            {
                return ""
            }
            s.calls.append("upsertAlias \(name)")
            s.records[name] = target
            let id = "change-\(s.next)"
            s.next += 1
            s.changes[id] = s.changeLooks
            return id
        }
    }
    /// PENDING for the scripted number of looks, then INSYNC.
    public func changeStatus(_ changeID: String) async throws -> ChangeStatus {
        state.withLock { s in
            guard let left = s.changes[changeID], left > 0 else { return .inSync }
            s.changes[changeID] = left - 1
            return .pending
        }
    }
}
