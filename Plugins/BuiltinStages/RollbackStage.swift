import Foundation
import PipelineCore

/// `rollback`: scales the canary to 0 and puts the main service back on the last good revision.
package struct RollbackStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "rollback",
        summary:
            "Scales the canary to 0; returns the main service to `to`, the last succeeded run's revision, the one last tagged as promoted, or the one it ran before.",
        inputs: Inputs.self,
        outputs: [Outputs.rolledBackTo, Outputs.taskDefinitionARN],
        safety: .changesTarget)

    /// What `rollback` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let to = Input<String?>(
            "to", help: "the revision to return to",
            defaultText:
                "the last succeeded run's, else (no history) the revision last tagged `pipeline:promoted-at` in the platform, else the one the service ran before"
        )
        let canaryService = Input<String?>("canary_service", help: "the canary", defaultText: "`<service>-canary`")
        let timeout = Input<Duration>(
            "timeout", default: .seconds(900), help: "how long to wait for the old tasks to run healthy")
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(5),
            help: "the longest wait between two looks (250 ms after the change, doubling up to this)")
        /// The declarations.
        package init() {}
    }

    /// The outputs `rollback` returns.
    package enum Outputs {
        /// The revision the main service was returned to; empty when there was nothing to roll back.
        package static let rolledBackTo: OutputKey = "rolled_back_to"
        /// The revision the main service runs after it (absent when nothing was rolled back): a succeeded
        /// `pipeline rollback` run is then the last known-good revision for the next rollback.
        package static let taskDefinitionARN: OutputKey = "task_definition_arn"
    }

    package init() {}

    /// The family of `arn:…:task-definition/FAMILY:N` (or `FAMILY:N`).
    static func family(of taskDefinition: String) -> String? {
        let last = taskDefinition.split(separator: "/").last.map(String.init) ?? taskDefinition
        guard let colon = last.lastIndex(of: ":"), colon > last.startIndex else { return nil }
        return String(last[..<colon])
    }

    /// The revision to return to, and where that choice came from.
    func rollbackRevision(_ context: StageContext, to: String?, family: String?) async throws -> (String, String)? {
        if let to, !to.isEmpty { return (to, "with.to") }
        let arnKey = PromoteStage.Outputs.taskDefinitionARN
        if let last = try await context.history.lastSucceededOutputs(pipeline: context.run.pipeline) {
            // Prefer the revision a promote stage deployed (it has a deployment_id beside it).
            let promoted = last.values.first { $0[PromoteStage.Outputs.deploymentID] != nil && $0[arnKey] != nil }
            if case .string(let arn)? = (promoted ?? last.values.first { $0[arnKey] != nil })?[arnKey] {
                return (arn, "the last succeeded run")
            }
        }
        // No history here (a fresh CI runner): the revision ECS itself has tagged as promoted last.
        if let family, let tagged = try await KnownGood.lastPromoted(family: family, context: context) {
            let by = tagged.tags[KnownGoodTags.run].map { " by \($0)" } ?? ""
            return (tagged.arn, "tagged as promoted\(by) at \(tagged.tags[KnownGoodTags.promotedAt] ?? "?")")
        }
        return context.recordedStrings(CanaryDeployStage.Outputs.previousTaskDefinitionARN).first.map {
            ($0, "the revision the service ran before this run")
        }
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let canary = try context.canaryService(inputs.canaryService)
        if let failure = context.failure {
            context.logger.info("rolling back after '\(failure.stage)' failed: \(failure.message)")
        }
        // A weighted canary: the routes exactly as they were, before the canary's tasks go.
        try await TrafficSteps.restore(context)
        // ECS's own deployment still moving: ECS puts the old revision back (StopServiceDeployment ROLLBACK).
        if try await NativeSettings.stopInFlight(context, timeout: inputs.timeout, poll: inputs.pollInterval),
            !context.isDryRun, let state = try await context.tolerant(main, { try await target.service(main) })
        {
            context.logger.info("\(main) is back on \(state.taskDefinition) (ECS's rollback)")
            return StageOutputs([
                Outputs.rolledBackTo: .string(state.taskDefinition),
                Outputs.taskDefinitionARN: .string(state.taskDefinition),
            ])
        }
        // One DescribeServices for both.
        let described = try await context.tolerant(main) { try await target.services([main, canary]) }
        if let state = described[canary], state.desiredCount > 0 {
            if context.isDryRun {
                context.logger.info("would scale \(canary) to 0")
            } else {
                _ = try await context.tolerant(canary) {
                    try await target.updateService(canary, ServiceUpdate(desiredCount: 0))
                }
                context.logger.info("scaled \(canary) to 0")
            }
        }
        guard let state = described[main] else {
            throw StageFailure("service \(main) does not exist; cannot roll it back")
        }
        let family = Self.family(of: state.taskDefinition)
        guard let (revision, source) = try await rollbackRevision(context, to: inputs.to, family: family) else {
            context.logger.info("nothing was deployed yet and no earlier run succeeded: nothing to roll back")
            return StageOutputs([Outputs.rolledBackTo: ""])
        }
        var settled = false
        if let primary = state.primary, Readiness.sameRevision(primary.taskDefinition, revision) {
            settled =
                (try? await Readiness.look(
                    target, service: main, deploymentID: primary.id, taskDefinition: revision))?.ready ?? false
        }
        if settled {
            context.logger.info("\(main) already runs \(revision) (\(source)); nothing to change")
            return StageOutputs([Outputs.rolledBackTo: .string(revision), Outputs.taskDefinitionARN: .string(revision)])
        }
        if context.isDryRun {
            context.logger.info("would return \(main) from \(state.taskDefinition) to \(revision) (\(source))")
            return StageOutputs([Outputs.rolledBackTo: .string(revision), Outputs.taskDefinitionARN: .string(revision)])
        }
        context.logger.info("returning \(main) from \(state.taskDefinition) to \(revision) (\(source))")
        let started = try await Readiness.startDeployment(
            target, service: main, update: ServiceUpdate(taskDefinition: revision), before: state, context: context)
        _ = try await Readiness.wait(
            target, service: main, deploymentID: started, taskDefinition: revision,
            timeout: inputs.timeout, poll: inputs.pollInterval, described: state, context: context)
        context.logger.info("\(main) is back on \(revision)")
        await KnownGood.mark(revision, context: context)
        await KnownGood.markRolledBack(state.taskDefinition, context: context)
        return StageOutputs([Outputs.rolledBackTo: .string(revision), Outputs.taskDefinitionARN: .string(revision)])
    }
}
