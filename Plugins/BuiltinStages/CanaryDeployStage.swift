import Foundation
import PipelineCore

/// `canary-deploy`: runs the new revision as a second service beside the main one, sharing its traffic.
public struct CanaryDeployStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "canary-deploy",
        summary: "Runs the new revision as <service>-canary (same load balancer / registry) and waits for its tasks.",
        inputs: [
            StageInputSpec("desired_number_of_canary_tasks_to_run", .integer, "canary tasks (default 1)"),
            StageInputSpec("canary_service", .string, "the canary service's name (default <service>-canary)"),
            StageInputSpec("task_definition", .string, "revision to run (default: the registered one)"),
            StageInputSpec("timeout", .duration, "how long to wait for the canary's tasks (default 10m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 5s)"),
        ],
        outputs: ["canary_service_arn", "previous_task_definition_arn"],
        safety: StageSafety(changesTarget: true, exposure: .opens))

    public init() {}

    public static func preflight(_ check: PreflightContext) throws {
        if let n = try check.inputs.int("desired_number_of_canary_tasks_to_run"), n < 1 {
            throw StageFailure("with.desired_number_of_canary_tasks_to_run must be at least 1, got \(n)")
        }
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let canary = try context.canaryService()
        let count = try context.inputs.int("desired_number_of_canary_tasks_to_run") ?? 1
        let taskDefinition = try context.taskDefinitionToDeploy()
        guard let mainState = try await target.service(main) else {
            throw StageFailure(
                "service \(main) does not exist on \(target.description); create it before its first canary")
        }
        let previous = mainState.taskDefinition
        context.logger.info(
            "\(main) runs \(previous.isEmpty ? "no task definition yet" : previous); canary \(canary) will run \(count) task(s) of \(taskDefinition)"
        )
        if context.isDryRun {
            let exists = try await target.service(canary) != nil
            context.logger.info(
                "would \(exists ? "update" : "create") \(canary) with \(count) task(s) of \(taskDefinition)")
            return ["canary_service_arn": .string(canary), "previous_task_definition_arn": .string(previous)]
        }
        let arn: String
        let deploymentID: String
        if let existing = try await target.service(canary) {
            deploymentID = try await Readiness.startDeployment(
                target, service: canary, update: ServiceUpdate(taskDefinition: taskDefinition, desiredCount: count),
                context: context)
            arn = existing.arn
            context.logger.info("updated \(canary)")
        } else {
            let state = try await target.createService(
                canary, copying: main, taskDefinition: taskDefinition, desiredCount: count)
            guard let started = state.primary?.id else {
                throw StageFailure("creating \(canary) started no deployment")
            }
            deploymentID = started
            arn = state.arn
            context.logger.info("created \(canary), copying \(main)'s load balancers, registries and network")
        }
        _ = try await Readiness.wait(
            target, service: canary, deploymentID: deploymentID, taskDefinition: taskDefinition,
            timeout: try context.inputs.duration("timeout") ?? .seconds(600),
            poll: try context.pollInterval(default: .seconds(5)), context: context)
        context.logger.info("canary \(canary) runs \(count) healthy task(s) of \(taskDefinition)")
        return ["canary_service_arn": .string(arn), "previous_task_definition_arn": .string(previous)]
    }
}
