import Foundation
import PipelineCore

/// The local provider as a `DeploymentTarget`: every call goes to the agent; registering a task
/// definition first exports the run's commit as the revision's folder.
public struct LocalDeploymentTarget: DeploymentTarget {
    public let client: AgentClient
    public let paths: LocalPaths
    /// The commit being deployed.
    let source: (any SourceTree)?

    /// Under --dry-run the target is not configured on the agent; its main service, if the agent does
    /// not have it yet, is reported as it would be created: no task definition, no task.
    var declared: LocalTargetSettings?

    public init(
        client: AgentClient, paths: LocalPaths, source: (any SourceTree)?, declared: LocalTargetSettings? = nil
    ) {
        self.client = client
        self.paths = paths
        self.source = source
        self.declared = declared
    }

    public var description: String { "the local agent (\(paths.root.path))" }

    public func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        var r = AgentRequest("latest-task-definition")
        r.ref = family
        return try await client.call(r).taskDefinition?.record
    }

    public func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        var r = AgentRequest("task-definition")
        r.ref = arn
        return try await client.call(r).taskDefinition?.record
    }

    public func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    {
        _ = try ContainerSpec.parse(document)
        guard let source else { throw PipelineError(.invalidInput, "no source tree to run this revision from") }
        let incoming = paths.revisions.appendingPathComponent(".incoming-\(UUID().uuidString)")
        do {
            try SnapshotExporter.export(source, to: incoming)
            var r = AgentRequest("register")
            r.document = document
            r.tags = tags
            r.snapshot = incoming.path
            guard let td = try await client.call(r).taskDefinition else {
                throw PipelineError(.io, "the local agent registered nothing")
            }
            return td.record
        } catch {
            try? FileManager.default.removeItem(at: incoming)
            throw error
        }
    }

    public func service(_ name: String) async throws -> ServiceState? {
        var r = AgentRequest("service")
        r.service = name
        if let state = try await client.call(r).service?.serviceState { return state }
        guard let declared, declared.service == name else { return nil }
        return ServiceState(
            name: name, arn: "local:service/\(name)", taskDefinition: "", desiredCount: declared.desiredCount,
            runningCount: 0, deployments: [])
    }

    public func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        var r = AgentRequest("create-service")
        r.service = name
        r.template = template
        r.ref = taskDefinition
        r.desiredCount = desiredCount
        guard let state = try await client.call(r).service?.serviceState else {
            throw PipelineError(.io, "the local agent did not return service \(name)")
        }
        return state
    }

    public func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        var r = AgentRequest("update-service")
        r.service = name
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
        r.update = u
        guard let state = try await client.call(r).service?.serviceState else {
            throw PipelineError(.io, "the local agent did not return service \(name)")
        }
        return state
    }

    public func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] {
        var r = AgentRequest("tasks")
        r.service = service
        r.includeStopped = includeStopped
        return try await client.call(r).tasks ?? []
    }

    public func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] {
        var r = AgentRequest("alarm-history")
        r.names = names
        r.prefix = prefix
        r.since = since
        return try await client.call(r).history ?? []
    }

    public func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        var r = AgentRequest("alarms")
        r.names = names
        r.prefix = prefix
        var states = (try await client.call(r).alarms ?? []).map(\.alarmState)
        for alarm in declared?.alarms ?? [] where !states.contains(where: { $0.name == alarm.name }) {
            guard names.contains(alarm.name) || prefix.map({ alarm.name.hasPrefix($0) }) == true else { continue }
            states.append(
                AlarmState(
                    name: alarm.name, state: "INSUFFICIENT_DATA",
                    reason: "declared in the pipeline; the agent evaluates it once a run sets it up", updatedAt: nil))
        }
        return states
    }

    /// A local "load balancer" is the listener of a main service: `load_balancer: <service>`.
    public func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        let name = nameOrARN.split(separator: "/").last.map(String.init) ?? nameOrARN
        return AliasTarget(dnsName: name, hostedZoneID: "local", evaluateTargetHealth: true)
    }

    public func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        AliasTarget(dnsName: service, hostedZoneID: "local", evaluateTargetHealth: true)
    }

    public func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    {
        var r = AgentRequest("upsert-alias")
        r.host = name
        r.service = target.dnsName
        return try await client.call(r).change ?? ""
    }

    public func changeStatus(_ changeID: String) async throws -> String { "INSYNC" }

    /// Sets up the pipeline's listener, alarms and main service on the agent.
    public func configure(_ settings: LocalTargetSettings) async throws {
        var r = AgentRequest("configure")
        r.service = settings.service
        r.listener = settings.listener
        r.alarms = settings.alarms
        r.desiredCount = settings.desiredCount
        _ = try await client.call(r)
    }
}
