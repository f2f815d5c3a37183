import Foundation
import PipelineCore

/// `dns-alias`: points a Route 53 alias record at the load balancer or the service's Cloud Map record.
package struct DNSAliasStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "dns-alias",
        summary:
            "UPSERTs a Route 53 alias (A/AAAA) to a load balancer, an alias target, or a Cloud Map service; waits for INSYNC.",
        inputs: Inputs.self,
        outputs: [Outputs.recordName, Outputs.changeID],
        safety: .changesTarget)

    /// What `dns-alias` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let hostedZoneID = Input<String>(required: "hosted_zone_id", help: "the hosted zone of the record")
        let recordName = Input<String>(required: "record_name", help: "e.g. api.example.com")
        let recordType = Input<String>(
            "record_type", default: "A", help: "the record's type",
            check: InputCheck("A or AAAA") { ["A", "AAAA"].contains($0) ? nil : "must be A or AAAA, got \($0)" })
        let loadBalancer = Input<String?>("load_balancer", help: "ARN or name of the load balancer to point at")
        let aliasTarget = Input<[String: String]?>(
            "alias_target", help: "`{dns_name, hosted_zone_id}` to point at",
            check: .needs("dns_name", "hosted_zone_id"))
        let serviceDiscovery = Input<[String: String]?>(
            "service_discovery", help: "`{namespace_id, service}`: point at a Cloud Map service's record",
            check: .needs("namespace_id", "service"))
        let evaluateTargetHealth = Input<Bool>(
            "evaluate_target_health", default: true, help: "Route 53 evaluates the target's health")
        let timeout = Input<Duration>("timeout", default: .seconds(300), help: "how long to wait for INSYNC")
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(5),
            help: "the longest wait between two looks (250 ms after the change, doubling up to this)")
        /// The declarations.
        package init() {}
    }

    /// The outputs `dns-alias` returns.
    package enum Outputs {
        /// The record's name.
        package static let recordName: OutputKey = "record_name"
        /// The Route 53 change; empty when the record already pointed there.
        package static let changeID: OutputKey = "change_id"
    }

    package init() {}

    package static func preflight(_ check: PreflightContext) throws {
        _ = try check.inputs(Inputs.self)
        let given = ["load_balancer", "alias_target", "service_discovery"].filter { check.inputs[$0] != nil }
        if given.count != 1 {
            throw StageFailure(
                "dns-alias needs exactly one of with.load_balancer, with.alias_target, with.service_discovery (got \(given.isEmpty ? "none" : given.joined(separator: ", ")))"
            )
        }
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let target = try context.deploymentTarget()
        let zone = inputs.hostedZoneID
        let name = inputs.recordName
        let type = inputs.recordType
        let evaluate = inputs.evaluateTargetHealth
        var alias: AliasTarget
        if let lb = inputs.loadBalancer {
            alias = try await target.loadBalancerAlias(lb)
        } else if let m = inputs.aliasTarget {
            alias = AliasTarget(
                dnsName: m["dns_name"] ?? "", hostedZoneID: m["hosted_zone_id"] ?? "", evaluateTargetHealth: evaluate)
        } else if let m = inputs.serviceDiscovery {
            alias = try await target.serviceDiscoveryAlias(
                namespaceID: m["namespace_id"] ?? "", service: m["service"] ?? "")
        } else {
            throw StageFailure("dns-alias needs with.load_balancer, with.alias_target or with.service_discovery")
        }
        alias.evaluateTargetHealth = evaluate
        if context.isDryRun {
            context.logger.info("would point \(name) (\(type)) at \(alias.dnsName) in zone \(alias.hostedZoneID)")
            return StageOutputs([Outputs.recordName: .string(name), Outputs.changeID: ""])
        }
        // An UPSERT is idempotent: sending it again after a lost answer changes nothing more.
        let change = try await context.tolerant(name) {
            try await target.upsertAlias(hostedZoneID: zone, name: name, type: type, target: alias)
        }
        if change.isEmpty {
            context.logger.info("\(name) already points at \(alias.dnsName); nothing to change")
            return StageOutputs([Outputs.recordName: .string(name), Outputs.changeID: ""])
        }
        context.logger.info("UPSERT \(name) → \(alias.dnsName) (change \(change)); waiting for INSYNC")
        let deadline = ContinuousClock.now + inputs.timeout
        let poll = inputs.pollInterval
        var failures = TransientFailures()
        var backoff = Backoff(ceiling: poll)
        while try await Self.status(target, change, &failures, context) != .inSync {
            guard ContinuousClock.now < deadline else {
                throw StageFailure("change \(change) not INSYNC in time")
            }
            try await context.sleep(for: min(backoff.next(), max(deadline - ContinuousClock.now, .zero)))
        }
        return StageOutputs([Outputs.recordName: .string(name), Outputs.changeID: .string(change)])
    }

    /// The change's status; "PENDING" after a transient failure (looked at again next time).
    static func status(
        _ target: any DeploymentTarget, _ change: String, _ failures: inout TransientFailures, _ context: StageContext
    ) async throws -> ChangeStatus {
        do {
            let status = try await target.changeStatus(change)
            failures.reset()
            return status
        } catch {
            try failures.absorb(error) { context.logger.warning("\($0)") }
            return .pending
        }
    }
}
