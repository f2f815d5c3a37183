import Foundation
import PipelineCore

/// `canary-deploy`: runs the new revision as a second service beside the main one, sharing its traffic.
package struct CanaryDeployStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "canary-deploy",
        summary: "Runs the new revision as <service>-canary (same load balancer / registry) and waits for its tasks.",
        inputs: Inputs.self,
        outputs: [Outputs.canaryServiceARN, Outputs.previousTaskDefinitionARN],
        safety: StageSafety(changesTarget: true, exposure: .opens, exposureLabel: "the canary"))

    /// What `canary-deploy` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let count = Input<Int>(
            "desired_number_of_canary_tasks_to_run", default: 1, help: "canary tasks", check: .atLeast(1))
        let canaryService = Input<String?>(
            "canary_service", help: "the canary service's name", defaultText: "`<service>-canary`")
        let taskDefinition = Input<String?>(
            "task_definition", help: "revision to run",
            defaultText: "the `task_definition_arn` output of an earlier stage")
        let timeout = Input<Duration>(
            "timeout", default: .seconds(600), help: "how long to wait for the canary's tasks to be healthy")
        let pollInterval = Input<Duration>("poll_interval", default: .seconds(5), help: "how often to check")
        /// The declarations.
        package init() {}
    }

    /// The outputs `canary-deploy` returns.
    package enum Outputs {
        /// The canary service's ARN.
        package static let canaryServiceARN: OutputKey = "canary_service_arn"
        /// What the main service ran before; rollback goes back to it when no run was promoted.
        package static let previousTaskDefinitionARN: OutputKey = "previous_task_definition_arn"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let canary = try context.canaryService(inputs.canaryService)
        let count = inputs.count
        let taskDefinition = try context.taskDefinitionToDeploy(inputs.taskDefinition)
        guard let mainState = try await context.tolerant(main, { try await target.service(main) }) else {
            throw StageFailure(
                "service \(main) does not exist on \(target.description); create it before its first canary")
        }
        let previous = mainState.taskDefinition
        context.logger.info(
            "\(main) runs \(previous.isEmpty ? "no task definition yet" : previous); canary \(canary) will run \(count) task(s) of \(taskDefinition)"
        )
        if context.isDryRun {
            let exists = try await context.tolerant(canary, { try await target.service(canary) }) != nil
            context.logger.info(
                "would \(exists ? "update" : "create") \(canary) with \(count) task(s) of \(taskDefinition)")
            return StageOutputs([
                Outputs.canaryServiceARN: .string(canary), Outputs.previousTaskDefinitionARN: .string(previous),
            ])
        }
        let arn: String
        let deploymentID: String
        if let existing = try await context.tolerant(canary, { try await target.service(canary) }) {
            deploymentID = try await Readiness.startDeployment(
                target, service: canary, update: ServiceUpdate(taskDefinition: taskDefinition, desiredCount: count),
                context: context)
            arn = existing.arn
            context.logger.info("updated \(canary)")
        } else {
            // CreateService carries a client token: sending it again cannot make a second service.
            let state = try await context.tolerant(canary) {
                try await target.createService(
                    canary, copying: main, taskDefinition: taskDefinition, desiredCount: count)
            }
            guard let started = state.primary?.id else {
                throw StageFailure("creating \(canary) started no deployment")
            }
            deploymentID = started
            arn = state.arn
            context.logger.info("created \(canary), copying \(main)'s load balancers, registries and network")
        }
        _ = try await Readiness.wait(
            target, service: canary, deploymentID: deploymentID, taskDefinition: taskDefinition,
            timeout: inputs.timeout, poll: inputs.pollInterval, context: context)
        context.logger.info("canary \(canary) runs \(count) healthy task(s) of \(taskDefinition)")
        return StageOutputs([
            Outputs.canaryServiceARN: .string(arn), Outputs.previousTaskDefinitionARN: .string(previous),
        ])
    }
}
