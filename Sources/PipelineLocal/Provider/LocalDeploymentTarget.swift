import Foundation
import PipelineCore

/// The local provider as a `DeploymentTarget`: every call goes to the agent; registering a task
/// definition first exports the run's commit as the revision's folder.
package struct LocalDeploymentTarget: DeploymentTarget {
    package let client: AgentClient
    package let paths: LocalPaths
    /// The commit being deployed.
    let source: (any SourceTree)?

    /// Under --dry-run the target is not configured on the agent; its main service, if the agent does
    /// not have it yet, is reported as it would be created: no task definition, no task.
    var declared: LocalTargetSettings?

    package init(
        client: AgentClient, paths: LocalPaths, source: (any SourceTree)?, declared: LocalTargetSettings? = nil
    ) {
        self.client = client
        self.paths = paths
        self.source = source
        self.declared = declared
    }

    package var description: String { "the local agent (\(paths.root.path))" }

    package func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        try await client.call(.latestTaskDefinition(family: family)).taskDefinition?.record
    }

    package func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        try await client.call(.taskDefinition(ref: arn)).taskDefinition?.record
    }

    package func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    {
        _ = try ContainerSpec.parse(document)
        guard let source else { throw PipelineError(.invalidInput, "no source tree to run this revision from") }
        let incoming = paths.revisions.appendingPathComponent(".incoming-\(UUID().uuidString)")
        do {
            try SnapshotExporter.export(source, to: incoming)
            let request = AgentRequest.register(document: document, tags: tags, snapshot: incoming.path)
            guard let td = try await client.call(request).taskDefinition else {
                throw PipelineError(.io, "the local agent registered nothing")
            }
            return td.record
        } catch {
            try? FileManager.default.removeItem(at: incoming)
            throw error
        }
    }

    package func service(_ name: String) async throws -> ServiceState? {
        if let state = try await client.call(.service(name: name)).service?.serviceState { return state }
        return declared?.declaredService(name)
    }

    package func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        try await createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount, targetGroup: nil)
    }

    /// On the local agent a service is its own target group: a weighted canary's `canary_target_group`
    /// is the canary's name, and its tasks get traffic only through the listener's weights.
    package func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState {
        if let targetGroup, targetGroup != name {
            throw StageFailure(
                "on the local provider a service is its own target group: set canary_target_group to \(name)")
        }
        let request = AgentRequest.createService(
            name: name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount,
            ownTargetGroup: targetGroup != nil)
        guard let state = try await client.call(request).service?.serviceState else {
            throw PipelineError(.io, "the local agent did not return service \(name)")
        }
        return state
    }

    package func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        try await client.call(.metric(query: query, seconds: Int(window.seconds.rounded(.up)))).value
    }

    package func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        try await client.call(.trafficRoutes(service: targetGroup)).routes ?? []
    }

    package func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        _ = try await client.call(.setTraffic(listener: route.id, forward: forward))
    }

    package func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        var u = LocalServiceUpdate()
        u.taskDefinition = update.taskDefinition
        u.desiredCount = update.desiredCount
        u.maximumPercent = update.maximumPercent
        u.minimumHealthyPercent = update.minimumHealthyPercent
        if update.forceNewDeployment { u.forceNewDeployment = true }
        if let cb = update.circuitBreaker {
            u.circuitBreaker = cb.enable
            u.circuitBreakerRollback = cb.rollback
        }
        guard let state = try await client.call(.updateService(name: name, update: u)).service?.serviceState else {
            throw PipelineError(.io, "the local agent did not return service \(name)")
        }
        return state
    }

    package func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        try await client.call(.tasks(service: service, includeStopped: includeStopped)).tasks ?? []
    }

    package func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        try await client.call(.alarmHistory(names: names, prefix: prefix, since: since)).history ?? []
    }

    package func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        let states = (try await client.call(.alarms(names: names, prefix: prefix)).alarms ?? []).map(\.alarmState)
        let declaredOnly =
            (declared?.declaredAlarms(
                names: names, prefix: prefix,
                reason: "declared in the pipeline; the agent evaluates it once a run sets it up"
            ) ?? []).filter { alarm in !states.contains { $0.name == alarm.name } }
        return states + declaredOnly
    }

    /// A local "load balancer" is the listener of a main service: `load_balancer: <service>`.
    package func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        LocalTargetSettings.loadBalancerAlias(nameOrARN)
    }

    package func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        LocalTargetSettings.serviceAlias(service)
    }

    package func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    {
        try await client.call(.upsertAlias(host: name, listener: target.dnsName)).change ?? ""
    }

    package func changeStatus(_ changeID: String) async throws -> ChangeStatus { .inSync }

    /// Sets up the pipeline's listener, alarms and main service on the agent.
    package func configure(_ settings: LocalTargetSettings) async throws {
        let request = AgentRequest.configure(
            service: settings.service, listener: settings.listener, alarms: settings.alarms,
            desiredCount: settings.desiredCount)
        _ = try await client.call(request)
    }
}
