import Foundation
import PipelineCore

/// `promote`: rolls the main service onto the new revision, waits for COMPLETED, then scales the canary to 0.
public struct PromoteStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "promote",
        summary: "Updates the main service to the new revision (rolling), waits for COMPLETED, scales the canary to 0.",
        inputs: [
            StageInputSpec("task_definition", .string, "revision to deploy (default: the registered one)"),
            StageInputSpec(
                "deployment_maximum_percent", .integer,
                "upper limit of running tasks during the deployment (default 200)"),
            StageInputSpec(
                "deployment_minimum_healthy_percent", .integer, "lower limit of healthy tasks (default 100)"),
            StageInputSpec("deployment_circuit_breaker", .map, "{enable: bool, rollback: bool}"),
            StageInputSpec("desired_count", .integer, "tasks to run (default: unchanged)"),
            StageInputSpec("canary_service", .string, "the canary to scale to 0 (default <service>-canary)"),
            StageInputSpec("timeout", .duration, "how long to wait for COMPLETED (default 15m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 5s)"),
        ],
        outputs: ["deployment_id", "task_definition_arn"],
        safety: StageSafety(changesTarget: true, exposure: .closes))

    public init() {}

    public static func preflight(_ check: PreflightContext) throws {
        let max = try check.inputs.int("deployment_maximum_percent") ?? 200
        let min = try check.inputs.int("deployment_minimum_healthy_percent") ?? 100
        if max < 100 { throw StageFailure("with.deployment_maximum_percent must be at least 100, got \(max)") }
        if min < 0 || min > 100 {
            throw StageFailure("with.deployment_minimum_healthy_percent must be 0–100, got \(min)")
        }
        if let count = try check.inputs.int("desired_count"), count < 0 {
            throw StageFailure("with.desired_count must not be negative")
        }
        if case .map(let cb)? = check.inputs["deployment_circuit_breaker"] {
            for key in cb.keys where !["enable", "rollback"].contains(key) {
                throw StageFailure("with.deployment_circuit_breaker.\(key): unknown key; expected enable, rollback")
            }
        }
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let taskDefinition = try context.taskDefinitionToDeploy()
        var update = ServiceUpdate(
            taskDefinition: taskDefinition, desiredCount: try context.inputs.int("desired_count"))
        update.maximumPercent = try context.inputs.int("deployment_maximum_percent") ?? 200
        update.minimumHealthyPercent = try context.inputs.int("deployment_minimum_healthy_percent") ?? 100
        if case .map(let cb)? = context.inputs["deployment_circuit_breaker"] {
            update.circuitBreaker = (cb["enable"] == .bool(true), cb["rollback"] == .bool(true))
        }
        if context.isDryRun {
            context.logger.info(
                "would update \(main) to \(taskDefinition) (max \(update.maximumPercent!)%, min healthy \(update.minimumHealthyPercent!)%) and scale the canary to 0"
            )
            return ["deployment_id": "", "task_definition_arn": .string(taskDefinition)]
        }
        let started = try await Readiness.startDeployment(target, service: main, update: update, context: context)
        context.logger.info("updated \(main) to \(taskDefinition); waiting for its tasks to run healthy")
        let deployment = try await Readiness.wait(
            target, service: main, deploymentID: started, taskDefinition: taskDefinition,
            timeout: try context.inputs.duration("timeout") ?? .seconds(900),
            poll: try context.pollInterval(default: .seconds(5)), context: context)
        let canary = try context.canaryService()
        if let state = try await target.service(canary), state.desiredCount > 0 {
            _ = try await target.updateService(canary, ServiceUpdate(desiredCount: 0))
            context.logger.info("scaled \(canary) to 0")
        }
        return ["deployment_id": .string(deployment.id), "task_definition_arn": .string(taskDefinition)]
    }
}
