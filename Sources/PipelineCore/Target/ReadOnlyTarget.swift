import Foundation

/// Wraps a target for `--dry-run`: reads pass through, every change is refused and counted.
public struct ReadOnlyTarget: DeploymentTarget {
    let base: any DeploymentTarget
    /// Wraps a target.
    public init(_ base: any DeploymentTarget) { self.base = base }

    /// The wrapped target's, marked read-only.
    public var description: String { "\(base.description) (dry run: read-only)" }

    func refuse(_ what: String) -> StageFailure {
        StageFailure("dry run: refusing to \(what); a stage must not change anything under --dry-run")
    }

    /// Reads through.
    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        try await base.latestTaskDefinition(family: family)
    }
    /// Reads through.
    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        try await base.taskDefinition(arn)
    }
    /// Refused under `--dry-run`.
    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    { throw refuse("register a task definition") }
    /// Reads through.
    public func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        try await base.metricValue(query, window: window)
    }
    /// Refused under `--dry-run`.
    public func startNativeDeployment(_ service: String, taskDefinition: String, _ deployment: NativeDeployment)
        async throws -> String
    { throw refuse("start a \(deployment.strategy.rawValue) deployment") }
    /// Reads through.
    public func serviceDeployment(_ arn: String) async throws -> ServiceDeploymentState? {
        try await base.serviceDeployment(arn)
    }
    /// Refused under `--dry-run`.
    public func stopServiceDeployment(_ arn: String, rollback: Bool) async throws {
        throw refuse("stop a service deployment")
    }
    /// Reads through.
    public func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        try await base.trafficRoutes(targetGroup: targetGroup)
    }
    /// Refused under `--dry-run`.
    public func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        throw refuse("change load-balancer weights")
    }
    /// Refused under `--dry-run`.
    public func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState { throw refuse("create a service") }
    /// Refused under `--dry-run`.
    public func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws {
        throw refuse("tag a task definition")
    }
    /// Reads through.
    public func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision] {
        try await base.taggedTaskDefinitions(family: family, tag: tag, scan: scan)
    }
    /// Reads through.
    public func service(_ name: String) async throws -> ServiceState? { try await base.service(name) }
    /// Forwards to the wrapped target (one batched read).
    public func services(_ names: [String]) async throws -> [String: ServiceState] {
        try await base.services(names)
    }
    /// Forwards to the wrapped target.
    public func tasks(of service: ServiceState, includeStopped: Bool) async throws -> [TaskState] {
        try await base.tasks(of: service, includeStopped: includeStopped)
    }
    /// Refused under `--dry-run`.
    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    { throw refuse("create service \(name)") }
    /// Refused under `--dry-run`.
    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        throw refuse("update service \(name)")
    }
    /// Reads through.
    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        try await base.tasks(service: service, includeStopped: includeStopped)
    }
    /// Reads through.
    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        try await base.alarms(names: names, prefix: prefix)
    }
    /// Reads through.
    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        try await base.alarmHistory(names: names, prefix: prefix, since: since)
    }
    /// Reads through.
    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        try await base.loadBalancerAlias(nameOrARN)
    }
    /// Reads through.
    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        try await base.serviceDiscoveryAlias(namespaceID: namespaceID, service: service)
    }
    /// Refused under `--dry-run`.
    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    { throw refuse("change DNS record \(name)") }
    /// Reads through.
    public func changeStatus(_ changeID: String) async throws -> ChangeStatus { try await base.changeStatus(changeID) }
}
