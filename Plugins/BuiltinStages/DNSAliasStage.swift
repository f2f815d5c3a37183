import Foundation
import PipelineCore

/// `dns-alias`: points a Route 53 alias record at the load balancer or the service's Cloud Map record.
public struct DNSAliasStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "dns-alias",
        summary:
            "UPSERTs a Route 53 alias (A/AAAA) to a load balancer, an alias target, or a Cloud Map service; waits for INSYNC.",
        inputs: [
            StageInputSpec("hosted_zone_id", .string, required: true, "the hosted zone of the record"),
            StageInputSpec("record_name", .string, required: true, "e.g. api.example.com"),
            StageInputSpec("record_type", .string, "A (default) or AAAA"),
            StageInputSpec("load_balancer", .string, "ARN or name of the load balancer to point at"),
            StageInputSpec("alias_target", .map, "{dns_name, hosted_zone_id} to point at"),
            StageInputSpec("service_discovery", .map, "{namespace_id, service}: point at a Cloud Map service's record"),
            StageInputSpec("evaluate_target_health", .bool, "default true"),
            StageInputSpec("timeout", .duration, "how long to wait for INSYNC (default 5m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 5s)"),
        ],
        outputs: ["record_name", "change_id"],
        safety: .changesTarget)

    public init() {}

    public static func preflight(_ check: PreflightContext) throws {
        let given = ["load_balancer", "alias_target", "service_discovery"].filter { check.inputs[$0] != nil }
        if given.count != 1 {
            throw StageFailure(
                "dns-alias needs exactly one of with.load_balancer, with.alias_target, with.service_discovery (got \(given.isEmpty ? "none" : given.joined(separator: ", ")))"
            )
        }
        if let type = try check.inputs.string("record_type"), !["A", "AAAA"].contains(type) {
            throw StageFailure("with.record_type must be A or AAAA, got \(type)")
        }
        if case .map(let m)? = check.inputs["alias_target"], m["dns_name"] == nil || m["hosted_zone_id"] == nil {
            throw StageFailure("with.alias_target needs dns_name and hosted_zone_id")
        }
        if case .map(let m)? = check.inputs["service_discovery"], m["namespace_id"] == nil || m["service"] == nil {
            throw StageFailure("with.service_discovery needs namespace_id and service")
        }
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let zone = try context.inputs.requiredString("hosted_zone_id")
        let name = try context.inputs.requiredString("record_name")
        let type = try context.inputs.string("record_type") ?? "A"
        let evaluate = try context.inputs.bool("evaluate_target_health") ?? true
        var alias: AliasTarget
        if let lb = try context.inputs.string("load_balancer") {
            alias = try await target.loadBalancerAlias(lb)
        } else if let m = try context.inputs.stringMap("alias_target") {
            alias = AliasTarget(
                dnsName: m["dns_name"] ?? "", hostedZoneID: m["hosted_zone_id"] ?? "", evaluateTargetHealth: evaluate)
        } else if let m = try context.inputs.stringMap("service_discovery") {
            alias = try await target.serviceDiscoveryAlias(
                namespaceID: m["namespace_id"] ?? "", service: m["service"] ?? "")
        } else {
            throw StageFailure("dns-alias needs with.load_balancer, with.alias_target or with.service_discovery")
        }
        alias.evaluateTargetHealth = evaluate
        if context.isDryRun {
            context.logger.info("would point \(name) (\(type)) at \(alias.dnsName) in zone \(alias.hostedZoneID)")
            return ["record_name": .string(name), "change_id": ""]
        }
        let change = try await target.upsertAlias(hostedZoneID: zone, name: name, type: type, target: alias)
        if change.isEmpty {
            context.logger.info("\(name) already points at \(alias.dnsName); nothing to change")
            return ["record_name": .string(name), "change_id": ""]
        }
        context.logger.info("UPSERT \(name) → \(alias.dnsName) (change \(change)); waiting for INSYNC")
        let deadline = ContinuousClock.now + (try context.inputs.duration("timeout") ?? .seconds(300))
        let poll = try context.pollInterval(default: .seconds(5))
        var failures = TransientFailures()
        while try await Self.status(target, change, &failures, context) != "INSYNC" {
            guard ContinuousClock.now + poll < deadline else {
                throw StageFailure("change \(change) not INSYNC in time")
            }
            try await context.sleep(for: poll)
        }
        return ["record_name": .string(name), "change_id": .string(change)]
    }

    /// The change's status; "PENDING" after a transient failure (looked at again next time).
    static func status(
        _ target: any DeploymentTarget, _ change: String, _ failures: inout TransientFailures, _ context: StageContext
    ) async throws -> String {
        do {
            let status = try await target.changeStatus(change)
            failures.reset()
            return status
        } catch {
            try failures.absorb(error) { context.logger.warning("\($0)") }
            return "PENDING"
        }
    }
}
