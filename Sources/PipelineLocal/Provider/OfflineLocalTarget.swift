import Foundation
import PipelineCore

/// The local target of a dry run when no agent runs: nothing is started or bound; it reads as the
/// pipeline's settings declare it (the main service with no revision and no task, its alarms with no
/// data) and refuses every change.
struct OfflineLocalTarget: DeploymentTarget {
    let settings: LocalTargetSettings
    let root: String

    var description: String { "the local provider (no agent runs for \(root); dry run: nothing started)" }

    private func refuse(_ what: String) -> StageFailure {
        StageFailure("dry run without a local agent: refusing to \(what)")
    }

    func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord? { nil }
    func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord? { nil }
    func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws -> TaskDefinitionRecord {
        throw refuse("register a task definition")
    }
    func service(_ name: String) async throws -> ServiceState? { settings.declaredService(name) }
    func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int)
        async throws -> ServiceState
    { throw refuse("create service \(name)") }
    func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState {
        throw refuse("update service \(name)")
    }
    func tasks(service: String, includeStopped: Bool) async throws -> [TaskState] { [] }
    func alarms(names: [String], prefix: String?) async throws -> [AlarmState] {
        settings.declaredAlarms(
            names: names, prefix: prefix, reason: "declared in the pipeline; no agent runs to evaluate it")
    }
    func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition] { [] }
    func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget {
        LocalTargetSettings.loadBalancerAlias(nameOrARN)
    }
    func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget {
        LocalTargetSettings.serviceAlias(service)
    }
    func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws -> String {
        throw refuse("point \(name)")
    }
    func changeStatus(_ changeID: String) async throws -> ChangeStatus { .inSync }
}
