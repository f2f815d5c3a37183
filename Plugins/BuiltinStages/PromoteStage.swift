import Foundation
import PipelineCore

/// `promote`: rolls the main service onto the new revision, waits for COMPLETED, then scales the canary to 0.
package struct PromoteStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "promote",
        summary: "Updates the main service to the new revision (rolling), waits for COMPLETED, scales the canary to 0.",
        inputs: Inputs.self,
        outputs: [Outputs.deploymentID, Outputs.taskDefinitionARN],
        safety: StageSafety(changesTarget: true, exposure: .closes))

    /// What `promote` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let taskDefinition = Input<String?>(
            "task_definition", help: "revision to deploy", defaultText: "the registered one")
        let maximumPercent = Input<Int>(
            "deployment_maximum_percent", default: 200,
            help: "upper limit of running tasks during the deployment, in percent of desired", check: .atLeast(100))
        let minimumHealthyPercent = Input<Int>(
            "deployment_minimum_healthy_percent", default: 100, help: "lower limit of healthy tasks, in percent",
            check: .within(0...100))
        let circuitBreaker = Input<[String: String]?>(
            "deployment_circuit_breaker", help: "`{enable: bool, rollback: bool}`",
            check: InputCheck("keys enable, rollback") { map in
                let unknown = (map ?? [:]).keys.filter { !["enable", "rollback"].contains($0) }.sorted()
                return unknown.isEmpty ? nil : "unknown key \(unknown[0]); expected enable, rollback"
            })
        let desiredCount = Input<Int?>(
            "desired_count", help: "tasks to run", defaultText: "unchanged", check: .atLeast(0))
        let canaryService = Input<String?>(
            "canary_service", help: "the canary to scale to 0", defaultText: "`<service>-canary`")
        let timeout = Input<Duration>(
            "timeout", default: .seconds(900), help: "how long to wait for the new tasks to run healthy")
        let pollInterval = Input<Duration>("poll_interval", default: .seconds(5), help: "how often to check")
        /// The declarations.
        package init() {}
    }

    /// The outputs `promote` returns; a run with both is a promoted run (rollback's default target).
    package enum Outputs {
        /// The main service's deployment this stage started.
        package static let deploymentID: OutputKey = "deployment_id"
        /// The revision the main service now runs.
        package static let taskDefinitionARN: OutputKey = "task_definition_arn"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let taskDefinition = try context.taskDefinitionToDeploy(inputs.taskDefinition)
        var update = ServiceUpdate(taskDefinition: taskDefinition, desiredCount: inputs.desiredCount)
        update.maximumPercent = inputs.maximumPercent
        update.minimumHealthyPercent = inputs.minimumHealthyPercent
        if let cb = inputs.circuitBreaker {
            update.circuitBreaker = (cb["enable"] == "true", cb["rollback"] == "true")
        }
        if context.isDryRun {
            context.logger.info(
                "would update \(main) to \(taskDefinition) (max \(update.maximumPercent!)%, min healthy \(update.minimumHealthyPercent!)%) and scale the canary to 0"
            )
            return StageOutputs([Outputs.deploymentID: "", Outputs.taskDefinitionARN: .string(taskDefinition)])
        }
        let started = try await Readiness.startDeployment(target, service: main, update: update, context: context)
        context.logger.info("updated \(main) to \(taskDefinition); waiting for its tasks to run healthy")
        let deployment = try await Readiness.wait(
            target, service: main, deploymentID: started, taskDefinition: taskDefinition,
            timeout: inputs.timeout, poll: inputs.pollInterval, context: context)
        let canary = try context.canaryService(inputs.canaryService)
        // A weighted canary: every route back to the main target group alone, before its tasks go.
        try await TrafficSteps.restore(context)
        if let state = try await context.tolerant(canary, { try await target.service(canary) }), state.desiredCount > 0
        {
            _ = try await context.tolerant(canary) {
                try await target.updateService(canary, ServiceUpdate(desiredCount: 0))
            }
            context.logger.info("scaled \(canary) to 0")
        }
        await KnownGood.mark(taskDefinition, context: context)
        return StageOutputs([
            Outputs.deploymentID: .string(deployment.id), Outputs.taskDefinitionARN: .string(taskDefinition),
        ])
    }
}
