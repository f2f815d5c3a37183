import Foundation
import PipelineCore

/// `canary-deploy`: runs the new revision as a second service beside the main one, sharing its traffic.
package struct CanaryDeployStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "canary-deploy",
        summary: "Runs the new revision as <service>-canary (same load balancer / registry) and waits for its tasks.",
        inputs: Inputs.self,
        outputs: [
            Outputs.canaryServiceARN, Outputs.previousTaskDefinitionARN, Outputs.trafficRoutes,
            Outputs.canaryTargetGroup, Outputs.canaryWeight,
        ],
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
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(5),
            help: "the longest wait between two looks (250 ms after the change, doubling up to this)")
        let canaryTargetGroup = Input<String?>(
            "canary_target_group",
            help:
                "a target group of its own for the canary (ARN): traffic then moves by listener weights, not task count",
            defaultText: "the main service's target groups (a share by task count)")
        let traffic = Input<[String]>(
            "traffic", default: [],
            help: "the canary's share of traffic in steps, percent (e.g. [5, 25, 50]); needs canary_target_group")
        let stepBake = Input<Duration>(
            "step_bake", default: .seconds(60), help: "how long each traffic step is watched before the next")
        /// The declarations.
        package init() {}
    }

    /// Checks the weighted-traffic settings before anything runs.
    package static func preflight(_ check: PreflightContext) throws {
        let inputs = try check.inputs(Inputs.self)
        guard let traffic = inputs.traffic, !traffic.isEmpty else { return }
        _ = try percentages(traffic)
        if check.inputs["canary_target_group"] == nil {
            throw StageFailure("with.traffic needs with.canary_target_group: the canary's own target group")
        }
    }

    /// `traffic:` as percentages, each 1–100 and rising.
    static func percentages(_ steps: [String]) throws -> [Int] {
        let values = try steps.map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")),
                (1...100).contains(value)
            else { throw StageFailure("with.traffic: '\(text)' is not a percentage from 1 to 100") }
            return value
        }
        guard zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw StageFailure("with.traffic: steps must rise (got \(values))")
        }
        return values
    }

    /// The outputs `canary-deploy` returns.
    package enum Outputs {
        /// The canary service's ARN.
        package static let canaryServiceARN: OutputKey = "canary_service_arn"
        /// What the main service ran before; rollback goes back to it when no run was promoted.
        package static let previousTaskDefinitionARN: OutputKey = "previous_task_definition_arn"
        /// The listener routes as they were before the first weight change (JSON), recorded before it:
        /// promote and rollback restore them exactly.
        package static let trafficRoutes: OutputKey = "traffic_routes"
        /// The canary's own target group (weighted canaries).
        package static let canaryTargetGroup: OutputKey = "canary_target_group"
        /// The canary's share of traffic after the last step, percent.
        package static let canaryWeight: OutputKey = "canary_weight"
    }

    package init() {}

    /// The target groups a weighted canary moves traffic between.
    static func weightedPlan(_ canaryGroup: String?, main: ServiceState) throws -> TrafficSteps.Plan {
        guard let canaryGroup, !canaryGroup.isEmpty else {
            throw StageFailure("with.traffic needs with.canary_target_group: the canary's own target group")
        }
        guard let mainGroup = main.targetGroups.first else {
            throw StageFailure("service \(main.name) is in no target group: a weighted canary needs its load balancer")
        }
        guard !main.targetGroups.contains(canaryGroup) else {
            throw StageFailure(
                "canary_target_group \(canaryGroup) is the main service's own: the canary needs a target group of its own"
            )
        }
        return TrafficSteps.Plan(main: mainGroup, canary: canaryGroup)
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let target = try context.deploymentTarget()
        let main = try context.mainService()
        let canary = try context.canaryService(inputs.canaryService)
        let count = inputs.count
        let taskDefinition = try context.taskDefinitionToDeploy(inputs.taskDefinition)
        // One DescribeServices for both.
        let described = try await context.tolerant(main) { try await target.services([main, canary]) }
        guard let mainState = described[main] else {
            throw StageFailure(
                "service \(main) does not exist on \(target.description); create it before its first canary")
        }
        let previous = mainState.taskDefinition
        let steps = try Self.percentages(inputs.traffic)
        let weighted = try steps.isEmpty ? nil : Self.weightedPlan(inputs.canaryTargetGroup, main: mainState)
        context.logger.info(
            "\(main) runs \(previous.isEmpty ? "no task definition yet" : previous); canary \(canary) will run \(count) task(s) of \(taskDefinition)"
        )
        if context.isDryRun {
            let exists = described[canary] != nil
            context.logger.info(
                "would \(exists ? "update" : "create") \(canary) with \(count) task(s) of \(taskDefinition)")
            if let weighted {
                let routes = try? await target.trafficRoutes(targetGroup: weighted.main)
                context.logger.info(
                    "would shift \(routes.map { "\($0.count) listener route(s)" } ?? "the traffic") from \(weighted.main) to \(weighted.canary) in steps of \(steps.map { "\($0)%" }.joined(separator: ", ")), \(DurationFormat.format(inputs.stepBake)) each"
                )
            }
            return StageOutputs([
                Outputs.canaryServiceARN: .string(canary), Outputs.previousTaskDefinitionARN: .string(previous),
            ])
        }
        let arn: String
        let deploymentID: String
        let layout: ServiceState
        if let existing = described[canary] {
            if let weighted, !existing.targetGroups.isEmpty, !existing.targetGroups.contains(weighted.canary) {
                throw StageFailure(
                    "\(canary) is registered in \(existing.targetGroups.joined(separator: ", ")), not in canary_target_group \(weighted.canary): delete \(canary) (the next run creates it in its own target group) or drop canary_target_group"
                )
            }
            deploymentID = try await Readiness.startDeployment(
                target, service: canary, update: ServiceUpdate(taskDefinition: taskDefinition, desiredCount: count),
                before: existing, context: context)
            arn = existing.arn
            layout = existing
            context.logger.info("updated \(canary)")
        } else {
            // CreateService carries a client token: sending it again cannot make a second service.
            let state = try await context.tolerant(canary) {
                try await target.createService(
                    canary, copying: main, taskDefinition: taskDefinition, desiredCount: count,
                    targetGroup: weighted?.canary)
            }
            guard let started = state.primary?.id else {
                throw StageFailure("creating \(canary) started no deployment")
            }
            deploymentID = started
            arn = state.arn
            layout = state
            context.logger.info("created \(canary), copying \(main)'s load balancers, registries and network")
        }
        _ = try await Readiness.wait(
            target, service: canary, deploymentID: deploymentID, taskDefinition: taskDefinition,
            timeout: inputs.timeout, poll: inputs.pollInterval, described: layout, context: context)
        context.logger.info("canary \(canary) runs \(count) healthy task(s) of \(taskDefinition)")
        var outputs = StageOutputs([
            Outputs.canaryServiceARN: .string(arn), Outputs.previousTaskDefinitionARN: .string(previous),
        ])
        if let weighted {
            outputs.merge(
                try await TrafficSteps.run(steps, plan: weighted, bake: inputs.stepBake, context: context)
            ) { _, new in new }
        }
        return outputs
    }
}
