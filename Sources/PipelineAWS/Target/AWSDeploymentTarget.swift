import Crypto
import Foundation
import PipelineCore

/// The deployment target on AWS: ECS for task definitions and services, CloudWatch for alarms,
/// ELBv2, Route 53 and Cloud Map for DNS aliases.
package struct AWSDeploymentTarget: DeploymentTarget {
    package let client: AWSClient
    package let cluster: String
    let ecs: ECS
    let cloudWatch: CloudWatch
    let elb: ELBv2
    let route53: Route53
    let serviceDiscovery: ServiceDiscovery
    let taskDefinitions = TaskDefinitionCache()
    let described = ServiceDescriptionCache()

    package init(client: AWSClient, cluster: String) {
        self.client = client
        self.cluster = cluster
        ecs = ECS(client: client)
        cloudWatch = CloudWatch(client: client)
        elb = ELBv2(client: client)
        route53 = Route53(client: client)
        serviceDiscovery = ServiceDiscovery(client: client)
    }

    /// Builds the target for a pipeline's `target:` section; throws `.invalidInput` when no region is set.
    package static func make(for target: TargetConfig, environment: [String: String]) throws -> AWSDeploymentTarget {
        guard let cluster = target.cluster else { throw PipelineError(.invalidInput, "target.cluster is required") }
        guard let region = AWSConfiguration.resolveRegion(pipelineRegion: target.region, environment: environment)
        else {
            throw PipelineError(
                .invalidInput,
                "no AWS region: set target.region in the pipeline, AWS_REGION, AWS_DEFAULT_REGION or a profile region")
        }
        var env = environment
        if let profile = target.value(forKey: "profile")?.scalarString { env["AWS_PROFILE"] = profile }
        return AWSDeploymentTarget(
            client: .standard(region: region, endpointOverride: target.endpointURL, environment: env), cluster: cluster)
    }

    package var description: String { "ECS cluster \(cluster) in \(client.configuration.region)" }

    static func record(_ td: ECS.TaskDefinition) -> TaskDefinitionRecord {
        TaskDefinitionRecord(arn: td.arn, family: td.family, revision: td.revision, document: td.document)
    }

    package func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? {
        let found = try await ecs.describeTaskDefinition(family).map { Self.record($0.0) }
        if let found { taskDefinitions.put(found) }
        return found
    }

    /// Read once per target (a run's): a revision never changes.
    package func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? {
        if let known = taskDefinitions.get(arn) { return known }
        let found = try await ecs.describeTaskDefinition(arn).map { Self.record($0.0) }
        if let found { taskDefinitions.put(found) }
        return found
    }

    /// Registers with a unique `pipeline:registration` tag. RegisterTaskDefinition is not idempotent:
    /// after a failure that may have been applied (a lost answer, a 5xx), the family's newest revisions
    /// are searched for the tag before registering again, so a retry never makes a duplicate revision.
    package func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws
        -> TaskDefinitionRecord
    {
        var tags = tags
        let token = UUID().uuidString.lowercased()
        tags[Self.registrationTag] = token
        let ecsTags = tags.keys.sorted().map { ECS.Tag(key: $0, value: tags[$0]!) }
        let family = document["family"]?.stringValue ?? ""
        var attempt = 1
        while true {
            do {
                let registered = Self.record(try await ecs.registerTaskDefinition(document, tags: ecsTags))
                taskDefinitions.put(registered)
                return registered
            } catch let error as AWSError where error.mayHaveBeenApplied && attempt < Self.registrationAttempts {
                if let found = try await findRegistration(family: family, token: token) { return found }
                try await Task.sleep(for: client.retry.delay(after: attempt))
                attempt += 1
            }
        }
    }

    /// The tag that makes a registration findable after an ambiguous failure.
    package static let registrationTag = "pipeline:registration"
    static let registrationAttempts = 4

    /// The revision of `family` registered with `token`, among its newest revisions.
    package func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws {
        try await ecs.tagResource(arn: arn, tags: tags.keys.sorted().map { ECS.Tag(key: $0, value: tags[$0]!) })
    }

    package func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision] {
        let arns = try await ecs.listTaskDefinitions(familyPrefix: family, limit: scan)
            .filter { $0.split(separator: "/").last?.split(separator: ":").first.map(String.init) == family }
        var out: [TaggedRevision] = []
        for arn in arns.prefix(scan) {
            guard let (td, tags) = try await ecs.describeTaskDefinition(arn), tags.contains(where: { $0.key == tag })
            else { continue }
            var map: [String: String] = [:]
            for t in tags { map[t.key] = t.value }
            out.append(TaggedRevision(arn: td.arn, revision: td.revision, tags: map))
        }
        return out
    }

    func findRegistration(family: String, token: String) async throws -> TaskDefinitionRecord? {
        let arns = try await ecs.listTaskDefinitions(familyPrefix: family, limit: 10)
            .filter { $0.split(separator: "/").last?.split(separator: ":").first.map(String.init) == family }
        for arn in arns.prefix(5) {
            if let (td, tags) = try await ecs.describeTaskDefinition(arn),
                tags.contains(where: { $0.key == Self.registrationTag && $0.value == token })
            {
                return Self.record(td)
            }
        }
        return nil
    }

    static func state(_ s: ECS.Service) -> ServiceState {
        var state = ServiceState(
            name: s.serviceName, arn: s.serviceArn ?? "", taskDefinition: s.taskDefinition ?? "",
            desiredCount: s.desiredCount ?? 0, runningCount: s.runningCount ?? 0,
            deployments: (s.deployments ?? []).map {
                DeploymentState(
                    id: $0.id, status: DeploymentStatus(rawValue: $0.status), taskDefinition: $0.taskDefinition,
                    rolloutState: RolloutState(rawValue: $0.rolloutState ?? ""),
                    rolloutStateReason: $0.rolloutStateReason ?? "",
                    desiredCount: $0.desiredCount ?? 0, runningCount: $0.runningCount ?? 0,
                    failedTasks: $0.failedTasks ?? 0, createdAt: $0.createdAt)
            })
        state.targetGroups = (s.loadBalancers ?? []).compactMap(\.targetGroupArn)
        state.events = (s.events ?? []).prefix(20).compactMap { event in
            event.message.map { ServiceEvent(at: event.createdAt, message: $0) }
        }
        return state
    }

    package func service(_ name: String) async throws -> ServiceState? {
        try await services([name])[name]
    }

    /// One DescribeServices for up to 10 services (inactive ones left out, as `service(_:)` does).
    package func services(_ names: [String]) async throws -> [String: ServiceState] {
        let (found, _) = try await ecs.describeServices(cluster: cluster, services: Array(Set(names)).sorted())
        let active = found.filter { $0.status != "INACTIVE" }
        described.put(active)
        return Dictionary(active.map { ($0.serviceName, Self.state($0)) }) { first, _ in first }
    }

    package func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    {
        try await createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount, targetGroup: nil)
    }

    package func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState {
        var main = described.recent(template)
        if main == nil { main = try await ecs.describeService(cluster: cluster, service: template) }
        guard let main else {
            throw StageFailure("service \(template) does not exist in cluster \(cluster)")
        }
        var input = ECS.CreateServiceInput(
            cluster: cluster, serviceName: name, taskDefinition: taskDefinition, desiredCount: desiredCount)
        input.loadBalancers = main.loadBalancers.flatMap { $0.isEmpty ? nil : $0 }
        if let targetGroup {
            // A weighted canary: registered in its own target group, on the main one's container and port.
            guard let first = input.loadBalancers?.first else {
                throw StageFailure("service \(template) has no load balancer: a weighted canary needs one")
            }
            input.loadBalancers = [
                ECS.LoadBalancer(
                    targetGroupArn: targetGroup, containerName: first.containerName, containerPort: first.containerPort)
            ]
        }
        input.serviceRegistries = main.serviceRegistries.flatMap { $0.isEmpty ? nil : $0 }
        input.networkConfiguration =
            main.networkConfiguration?.awsvpcConfiguration == nil ? nil : main.networkConfiguration
        if let strategy = main.capacityProviderStrategy, !strategy.isEmpty {
            input.capacityProviderStrategy = strategy
        } else {
            input.launchType = main.launchType
        }
        input.platformVersion = main.platformVersion
        input.clientToken = Self.clientToken(service: name, taskDefinition: taskDefinition)
        input.tags = [.init(key: "pipeline:canary-of", value: template)]
        return Self.state(try await ecs.createService(input))
    }

    /// CreateService's idempotency token: the same for the same service and revision, and within ECS's
    /// limit of 36 ASCII characters whatever the service's name.
    static func clientToken(service: String, taskDefinition: String) -> String {
        let digest = SHA256.hash(data: Data("\(service)|\(taskDefinition)".utf8))
        return "p-" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    package func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        var input = ECS.UpdateServiceInput(cluster: cluster, service: name)
        input.taskDefinition = update.taskDefinition
        input.desiredCount = update.desiredCount
        if update.forceNewDeployment { input.forceNewDeployment = true }
        if update.maximumPercent != nil || update.minimumHealthyPercent != nil || update.circuitBreaker != nil {
            input.deploymentConfiguration = .init(
                maximumPercent: update.maximumPercent, minimumHealthyPercent: update.minimumHealthyPercent,
                deploymentCircuitBreaker: update.circuitBreaker.map { .init(enable: $0.enable, rollback: $0.rollback) })
        }
        return Self.state(try await ecs.updateService(input))
    }

    package func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        var out: [AlarmState] = []
        if !names.isEmpty { out += try await cloudWatch.describeAlarms(names: names).map(Self.alarm) }
        if let prefix { out += try await cloudWatch.describeAlarms(prefix: prefix).map(Self.alarm) }
        var seen = Set<String>()
        return out.filter { seen.insert($0.name).inserted }
    }

    static func alarm(_ a: CloudWatch.MetricAlarm) -> AlarmState {
        AlarmState(
            name: a.AlarmName, state: AlarmStateValue(rawValue: a.StateValue), reason: a.StateReason ?? "",
            updatedAt: a.StateUpdatedTimestamp)
    }

    package func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        let isARN = nameOrARN.hasPrefix("arn:")
        let lbs = try await elb.describeLoadBalancers(
            names: isARN ? [] : [nameOrARN], arns: isARN ? [nameOrARN] : [])
        guard let lb = lbs.first else { throw StageFailure("load balancer \(nameOrARN) not found") }
        return AliasTarget(dnsName: lb.dnsName, hostedZoneID: lb.canonicalHostedZoneID, evaluateTargetHealth: true)
    }

    package func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        let namespace = try await serviceDiscovery.getNamespace(id: namespaceID)
        guard let zone = namespace.Properties?.DnsProperties?.HostedZoneId else {
            throw StageFailure("Cloud Map namespace \(namespaceID) has no DNS hosted zone (is it an HTTP namespace?)")
        }
        guard try await serviceDiscovery.findService(namespaceID: namespaceID, name: service) != nil else {
            throw StageFailure("Cloud Map namespace \(namespace.Name) has no service \(service)")
        }
        return AliasTarget(dnsName: "\(service).\(namespace.Name)", hostedZoneID: zone, evaluateTargetHealth: true)
    }

    package func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws
        -> String
    {
        let fqdn = name.hasSuffix(".") ? name : name + "."
        let existing = try await route53.listRecordSets(
            hostedZoneID: hostedZoneID, startName: fqdn, startType: type, limit: 1)
        if let current = existing.first, current.name == fqdn, current.type == type, let alias = current.alias,
            alias.dnsName.trimmingCharacters(in: ["."]).lowercased()
                == target.dnsName.trimmingCharacters(in: ["."]).lowercased(),
            alias.hostedZoneID == target.hostedZoneID, alias.evaluateTargetHealth == target.evaluateTargetHealth
        {
            return ""
        }
        let change = try await route53.changeAlias(
            hostedZoneID: hostedZoneID, name: fqdn, type: type,
            alias: .init(
                hostedZoneID: target.hostedZoneID, dnsName: target.dnsName,
                evaluateTargetHealth: target.evaluateTargetHealth),
            comment: "pipeline dns-alias")
        return change.id
    }

    package func changeStatus(_ changeID: String) async throws -> ChangeStatus {
        ChangeStatus(rawValue: try await route53.getChange(id: changeID).status)
    }
}
