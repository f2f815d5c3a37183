import Foundation
import PipelineCore

/// `rollback`: scales the canary to 0 and puts the main service back on the last good revision.
public struct RollbackStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "rollback",
        summary:
            "Scales the canary to 0; returns the main service to `to`, the last succeeded run's revision, or the one it ran before.",
        inputs: [
            StageInputSpec(
                "to", .string, "the revision to return to (default: last succeeded run, else the previous one)"),
            StageInputSpec("canary_service", .string, "the canary (default <service>-canary)"),
            StageInputSpec("timeout", .duration, "how long to wait for COMPLETED (default 15m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 5s)"),
        ],
        outputs: ["rolled_back_to"],
        safety: .changesTarget)

    public init() {}

    /// The revision to return to, and where that choice came from.
    func rollbackRevision(_ context: StageContext) throws -> (String, String)? {
        if let to = try context.inputs.string("to"), !to.isEmpty { return (to, "with.to") }
        if let last = try context.history.lastSucceededOutputs(pipeline: context.run.pipeline) {
            // Prefer the revision a promote stage deployed (it has a deployment_id beside it).
            let promoted = last.values.first { $0["deployment_id"] != nil && $0["task_definition_arn"] != nil }
            if case .string(let arn)? = (promoted ?? last.values.first { $0["task_definition_arn"] != nil })?[
                "task_definition_arn"]
            {
                return (arn, "the last succeeded run")
            }
        }
        for outputs in context.outputs.values {
            if case .string(let arn)? = outputs["previous_task_definition_arn"], !arn.isEmpty {
                return (arn, "the revision the service ran before this run")
            }
        }
        return nil
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let canary = try context.canaryService()
        if let failure = context.failure {
            context.logger.info("rolling back after '\(failure.stage)' failed: \(failure.message)")
        }
        if let state = try await target.service(canary), state.desiredCount > 0 {
            if context.isDryRun {
                context.logger.info("would scale \(canary) to 0")
            } else {
                _ = try await target.updateService(canary, ServiceUpdate(desiredCount: 0))
                context.logger.info("scaled \(canary) to 0")
            }
        }
        guard let (revision, source) = try rollbackRevision(context) else {
            context.logger.info("nothing was deployed yet and no earlier run succeeded: nothing to roll back")
            return ["rolled_back_to": ""]
        }
        guard let state = try await target.service(main) else {
            throw StageFailure("service \(main) does not exist; cannot roll it back")
        }
        var settled = false
        if let primary = state.primary, Readiness.sameRevision(primary.taskDefinition, revision) {
            settled =
                (try? await Readiness.look(
                    target, service: main, deploymentID: primary.id, taskDefinition: revision))?.ready ?? false
        }
        if settled {
            context.logger.info("\(main) already runs \(revision) (\(source)); nothing to change")
            return ["rolled_back_to": .string(revision)]
        }
        if context.isDryRun {
            context.logger.info("would return \(main) from \(state.taskDefinition) to \(revision) (\(source))")
            return ["rolled_back_to": .string(revision)]
        }
        context.logger.info("returning \(main) from \(state.taskDefinition) to \(revision) (\(source))")
        let started = try await Readiness.startDeployment(
            target, service: main, update: ServiceUpdate(taskDefinition: revision), context: context)
        _ = try await Readiness.wait(
            target, service: main, deploymentID: started, taskDefinition: revision,
            timeout: try context.inputs.duration("timeout") ?? .seconds(900),
            poll: try context.pollInterval(default: .seconds(5)), context: context)
        context.logger.info("\(main) is back on \(revision)")
        return ["rolled_back_to": .string(revision)]
    }
}
