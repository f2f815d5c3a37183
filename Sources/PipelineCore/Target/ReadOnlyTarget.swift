import Foundation

/// Wraps a target for `--dry-run`: reads pass through, every change is refused and counted.
public struct ReadOnlyTarget: DeploymentTarget {
    let base: any DeploymentTarget
    public init(_ base: any DeploymentTarget) { self.base = base }

    public var description: String { "\(base.description) (dry run: read-only)" }

    func refuse(_ what: String) -> StageFailure {
        StageFailure("dry run: refusing to \(what); a stage must not change anything under --dry-run")
    }

    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        try await base.latestTaskDefinition(family: family)
    }
    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        try await base.taskDefinition(arn)
    }
    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    { throw refuse("register a task definition") }
    public func service(_ name: String) async throws -> ServiceState? { try await base.service(name) }
    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    { throw refuse("create service \(name)") }
    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        throw refuse("update service \(name)")
    }
    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        try await base.tasks(service: service, includeStopped: includeStopped)
    }
    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        try await base.alarms(names: names, prefix: prefix)
    }
    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        try await base.alarmHistory(names: names, prefix: prefix, since: since)
    }
    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        try await base.loadBalancerAlias(nameOrARN)
    }
    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        try await base.serviceDiscoveryAlias(namespaceID: namespaceID, service: service)
    }
    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    { throw refuse("change DNS record \(name)") }
    public func changeStatus(_ changeID: String) async throws -> ChangeStatus { try await base.changeStatus(changeID) }
}
