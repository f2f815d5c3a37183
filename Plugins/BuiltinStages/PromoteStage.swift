import Foundation
import PipelineCore

/// `promote`: rolls the main service onto the new revision, waits for COMPLETED, then scales the canary to 0.
package struct PromoteStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "promote",
        summary: "Updates the main service to the new revision (rolling), waits for COMPLETED, scales the canary to 0.",
        inputs: Inputs.self,
        outputs: [Outputs.deploymentID, Outputs.taskDefinitionARN, Outputs.serviceDeploymentARN],
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
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(5),
            help: "the longest wait between two looks (250 ms after the change, doubling up to this)")
        let strategy = Input<String>(
            "strategy", default: "rolling",
            help: "rolling (the engine's rolling update), or ECS's own blue_green, linear or canary",
            check: InputCheck("rolling, blue_green, linear or canary") { value in
                NativeSettings.strategy(value) == nil ? "expected rolling, blue_green, linear or canary" : nil
            })
        let canaryPercent = Input<Double?>(
            "canary_percent", help: "canary: share of production traffic first moved, percent",
            defaultText: "ECS's (5)", check: NativeSettings.percent(0.1))
        let canaryBakeTime = Input<Duration?>(
            "canary_bake_time", help: "canary: how long that share bakes (whole minutes)", defaultText: "ECS's (10m)")
        let linearStepPercent = Input<Double?>(
            "linear_step_percent", help: "linear: share each step moves, percent", defaultText: "ECS's",
            check: NativeSettings.percent(3))
        let linearStepBakeTime = Input<Duration?>(
            "linear_step_bake_time", help: "linear: how long each step bakes (whole minutes)", defaultText: "ECS's")
        let bakeTime = Input<Duration?>(
            "bake_time", help: "blue_green/linear/canary: both revisions run after the last shift (whole minutes)",
            defaultText: "ECS's")
        let alternateTargetGroup = Input<String?>(
            "alternate_target_group", help: "blue_green/linear/canary: the target group of the new revision (ARN)")
        let productionListenerRule = Input<String?>(
            "production_listener_rule", help: "the listener rule ECS shifts production traffic on (ARN)")
        let testListenerRule = Input<String?>("test_listener_rule", help: "the listener rule for test traffic (ARN)")
        let roleARN = Input<String?>("role_arn", help: "the role ECS assumes to change the load balancer")
        /// The declarations.
        package init() {}
    }

    /// ECS's own strategies need their bake times in whole minutes and a traffic setup.
    package static func preflight(_ check: PreflightContext) throws {
        let inputs = try check.inputs(Inputs.self)
        guard let strategy = inputs.strategy.flatMap(NativeSettings.strategy), strategy != .rolling else { return }
        for (name, value) in [
            ("canary_bake_time", inputs.canaryBakeTime), ("linear_step_bake_time", inputs.linearStepBakeTime),
            ("bake_time", inputs.bakeTime),
        ] {
            if let value = value ?? nil { _ = try NativeSettings.minutes(value, name) }
        }
    }

    /// The outputs `promote` returns; a run with both is a promoted run (rollback's default target).
    package enum Outputs {
        /// The main service's deployment this stage started.
        package static let deploymentID: OutputKey = "deployment_id"
        /// The revision the main service now runs.
        package static let taskDefinitionARN: OutputKey = "task_definition_arn"
        /// ECS's service deployment (blue_green, linear, canary); recorded before it starts moving, so
        /// rollback stops it (StopServiceDeployment ROLLBACK) when the run fails while it is in flight.
        package static let serviceDeploymentARN: OutputKey = "service_deployment_arn"
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
        if let strategy = NativeSettings.strategy(inputs.strategy), strategy != .rolling {
            return try await NativeSettings.promote(
                main, to: taskDefinition, strategy: strategy, inputs: inputs, context: context)
        }
        if context.isDryRun {
            context.logger.info(
                "would update \(main) to \(taskDefinition) (max \(update.maximumPercent!)%, min healthy \(update.minimumHealthyPercent!)%) and scale the canary to 0"
            )
            return StageOutputs([Outputs.deploymentID: "", Outputs.taskDefinitionARN: .string(taskDefinition)])
        }
        let canary = try context.canaryService(inputs.canaryService)
        // One DescribeServices for both: main's deployment before the change, and whether a canary runs.
        let described = try await context.tolerant(main) { try await target.services([main, canary]) }
        let started = try await Readiness.startDeployment(
            target, service: main, update: update, before: described[main], context: context)
        context.logger.info("updated \(main) to \(taskDefinition); waiting for its tasks to run healthy")
        let deployment = try await Readiness.wait(
            target, service: main, deploymentID: started, taskDefinition: taskDefinition,
            timeout: inputs.timeout, poll: inputs.pollInterval, described: described[main], context: context)
        try await Self.promoted(taskDefinition, canary: canary, described: described[canary], context: context)
        return StageOutputs([
            Outputs.deploymentID: .string(deployment.id), Outputs.taskDefinitionARN: .string(taskDefinition),
        ])
    }

    /// Once the main service runs the new revision: a weighted canary's routes back to the main target
    /// group alone, then the canary's tasks to 0, then the revision tagged as promoted. `described`: the
    /// canary as the stage last saw it (nil: described here).
    static func promoted(
        _ taskDefinition: String, canary: String, described: ServiceState?? = .none, context: StageContext
    ) async throws {
        let target = try context.deploymentTarget()
        try await TrafficSteps.restore(context)
        let state: ServiceState?
        if case .some(let seen) = described {
            state = seen
        } else {
            state = try await context.tolerant(canary) { try await target.service(canary) }
        }
        if let state, state.desiredCount > 0 {
            _ = try await context.tolerant(canary) {
                try await target.updateService(canary, ServiceUpdate(desiredCount: 0))
            }
            context.logger.info("scaled \(canary) to 0")
        }
        await KnownGood.mark(taskDefinition, context: context)
    }
}
