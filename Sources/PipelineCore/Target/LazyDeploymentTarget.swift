import Foundation

/// A target made on first use: what a run gets when no stage declared that it uses a target, so that a
/// custom stage calling `context.deploymentTarget()` still gets its provider's target.
public final class LazyDeploymentTarget: DeploymentTarget, Sendable {
    private let made: Memo
    /// What the target will be, for logs.
    public let description: String

    /// A target that `make` creates on the first call, once.
    public init(description: String, make: @escaping @Sendable () async throws -> any DeploymentTarget) {
        self.description = description
        self.made = Memo(make)
    }

    private actor Memo {
        let make: @Sendable () async throws -> any DeploymentTarget
        // One making shared by concurrent first callers (the actor is reentrant across the await).
        var making: Task<any DeploymentTarget, any Error>?
        init(_ make: @escaping @Sendable () async throws -> any DeploymentTarget) { self.make = make }
        func target() async throws -> any DeploymentTarget {
            if let making { return try await making.value }
            let task = Task { [make] in try await make() }
            making = task
            return try await task.value
        }
    }

    private func base() async throws -> any DeploymentTarget { try await made.target() }

    /// Forwards to the made target.
    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        try await base().latestTaskDefinition(family: family)
    }
    /// Forwards to the made target.
    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        try await base().taskDefinition(arn)
    }
    /// Forwards to the made target.
    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    { try await base().registerTaskDefinition(document, tags: tags) }
    /// Forwards to the made target.
    public func service(_ name: String) async throws -> ServiceState? { try await base().service(name) }
    /// Forwards to the made target (one batched read).
    public func services(_ names: [String]) async throws -> [String: ServiceState] {
        try await base().services(names)
    }
    /// Forwards to the made target.
    public func tasks(of service: ServiceState, includeStopped: Bool) async throws -> [TaskState] {
        try await base().tasks(of: service, includeStopped: includeStopped)
    }
    /// Makes the target, then reads.
    public func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        try await base().metricValue(query, window: window)
    }
    /// Makes the target, then starts.
    public func startNativeDeployment(_ service: String, taskDefinition: String, _ deployment: NativeDeployment)
        async throws -> String
    { try await base().startNativeDeployment(service, taskDefinition: taskDefinition, deployment) }
    /// Makes the target, then reads.
    public func serviceDeployment(_ arn: String) async throws -> ServiceDeploymentState? {
        try await base().serviceDeployment(arn)
    }
    /// Makes the target, then stops.
    public func stopServiceDeployment(_ arn: String, rollback: Bool) async throws {
        try await base().stopServiceDeployment(arn, rollback: rollback)
    }
    /// Makes the target, then reads.
    public func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        try await base().trafficRoutes(targetGroup: targetGroup)
    }
    /// Makes the target, then changes weights.
    public func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        try await base().setTraffic(route, to: forward)
    }
    /// Makes the target, then creates.
    public func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState {
        try await base().createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount,
            targetGroup: targetGroup)
    }
    /// Makes the target, then tags.
    public func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws {
        try await base().tagTaskDefinition(arn, tags: tags)
    }
    /// Makes the target, then reads.
    public func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision] {
        try await base().taggedTaskDefinitions(family: family, tag: tag, scan: scan)
    }
    /// Forwards to the made target.
    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        try await base().createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount)
    }
    /// Forwards to the made target.
    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        try await base().updateService(name, update)
    }
    /// Forwards to the made target.
    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        try await base().tasks(service: service, includeStopped: includeStopped)
    }
    /// Forwards to the made target.
    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        try await base().alarms(names: names, prefix: prefix)
    }
    /// Forwards to the made target.
    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        try await base().alarmHistory(names: names, prefix: prefix, since: since)
    }
    /// Forwards to the made target.
    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        try await base().loadBalancerAlias(nameOrARN)
    }
    /// Forwards to the made target.
    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        try await base().serviceDiscoveryAlias(namespaceID: namespaceID, service: service)
    }
    /// Forwards to the made target.
    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    { try await base().upsertAlias(hostedZoneID: hostedZoneID, name: name, type: type, target: target) }
    /// Forwards to the made target.
    public func changeStatus(_ changeID: String) async throws -> ChangeStatus {
        try await base().changeStatus(changeID)
    }
}
