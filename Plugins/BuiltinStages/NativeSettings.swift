import Foundation
import PipelineCore

/// `promote` with ECS's own strategies (BLUE_GREEN, LINEAR, CANARY): UpdateService carries the strategy
/// and its settings, and the stage follows the service deployment (status and lifecycle stage) to its
/// end, judging it with the run's alarm guard; a failed run's rollback stops it with ROLLBACK.
enum NativeSettings {
    typealias Inputs = DeclaredInputs<PromoteStage.Inputs>
    typealias Outputs = PromoteStage.Outputs

    static func strategy(_ text: String) -> NativeStrategy? {
        switch text.lowercased().replacingOccurrences(of: "-", with: "_") {
        case "rolling": return .rolling
        case "blue_green": return .blueGreen
        case "linear": return .linear
        case "canary": return .canary
        default: return nil
        }
    }

    /// A percentage from `minimum` to 100, when given.
    static func percent(_ minimum: Double) -> InputCheck<Double?> {
        InputCheck("\(minimum)–100") { value in
            guard let value, !(minimum...100).contains(value) else { return nil }
            return "must be between \(minimum) and 100, got \(value)"
        }
    }

    /// A duration as the whole minutes ECS counts bake times in.
    static func minutes(_ duration: Duration, _ name: String) throws -> Int {
        let seconds = duration.components.seconds
        guard seconds % 60 == 0, duration.components.attoseconds == 0 else {
            throw StageFailure(
                "with.\(name): ECS counts bake times in whole minutes, got \(DurationFormat.format(duration))")
        }
        return Int(seconds / 60)
    }

    static func promote(
        _ main: String, to taskDefinition: String, strategy: NativeStrategy, inputs: Inputs, context: StageContext
    ) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        var deployment = NativeDeployment(strategy: strategy)
        deployment.bakeTimeMinutes = try inputs.bakeTime.map { try minutes($0, "bake_time") }
        deployment.canaryPercent = inputs.canaryPercent
        deployment.canaryBakeTimeMinutes = try inputs.canaryBakeTime.map { try minutes($0, "canary_bake_time") }
        deployment.linearStepPercent = inputs.linearStepPercent
        deployment.linearStepBakeTimeMinutes = try inputs.linearStepBakeTime.map {
            try minutes($0, "linear_step_bake_time")
        }
        deployment.alternateTargetGroup = inputs.alternateTargetGroup
        deployment.productionListenerRule = inputs.productionListenerRule
        deployment.testListenerRule = inputs.testListenerRule
        deployment.roleARN = inputs.roleARN
        let alarmGuard = context.services.get(AlarmGuardBox.self)?.alarmGuard
        deployment.alarms = alarmGuard?.entries.map(\.name) ?? []
        let name = strategy.rawValue
        if context.isDryRun {
            context.logger.info(
                "would start ECS's \(name) deployment of \(main) to \(taskDefinition) (alarm rollback on \(deployment.alarms.isEmpty ? "no alarm" : deployment.alarms.joined(separator: ", ")))"
            )
            return StageOutputs([Outputs.deploymentID: "", Outputs.taskDefinitionARN: .string(taskDefinition)])
        }
        let arn = try await target.startNativeDeployment(main, taskDefinition: taskDefinition, deployment)
        // Recorded before the deployment moves traffic: rollback stops it if the run fails meanwhile.
        try await context.checkpoint(StageOutputs([Outputs.serviceDeploymentARN: .string(arn)]))
        context.logger.info(
            "ECS \(name) deployment \(arn) of \(main) to \(taskDefinition) started (alarm rollback on \(deployment.alarms.isEmpty ? "no alarm" : deployment.alarms.joined(separator: ", ")))"
        )
        let deadline = ContinuousClock.now + inputs.timeout
        var last = ""
        var backoff = Backoff(ceiling: inputs.pollInterval)
        while true {
            guard let state = try await context.tolerant(arn, { try await target.serviceDeployment(arn) }) else {
                throw StageFailure("service deployment \(arn) is gone")
            }
            let now = "\(state.status) \(state.lifecycleStage ?? "")"
            if now != last {
                context.logger.info("\(main): \(state.status), lifecycle stage \(state.lifecycleStage ?? "-")")
                last = now
            }
            if state.status == "SUCCESSFUL" { break }
            if !state.isInFlight {
                throw StageFailure(
                    "ECS's \(name) deployment of \(main) ended \(state.status)\(state.statusReason.map { ": \($0)" } ?? "")"
                )
            }
            if let alarmGuard, let found = try await alarmGuard.check() {
                throw StageFailure(found.message)
            }
            guard ContinuousClock.now < deadline else {
                throw StageFailure(
                    "ECS's \(name) deployment of \(main) did not finish within \(DurationFormat.format(inputs.timeout)) (\(now))"
                )
            }
            try await context.sleep(for: backoff.next())
        }
        context.logger.info("\(main) runs \(taskDefinition): ECS's \(name) deployment succeeded")
        try await PromoteStage.promoted(
            taskDefinition, canary: try context.canaryService(inputs.canaryService), context: context)
        return StageOutputs([
            Outputs.deploymentID: .string(arn), Outputs.taskDefinitionARN: .string(taskDefinition),
            Outputs.serviceDeploymentARN: .string(arn),
        ])
    }

    /// Stops this run's service deployment if it is still in flight (ROLLBACK), and waits for ECS to
    /// finish rolling it back; returns whether there was one to stop or wait for.
    static func stopInFlight(_ context: StageContext, timeout: Duration, poll: Duration) async throws -> Bool {
        guard let arn = context.recordedStrings(Outputs.serviceDeploymentARN).first else { return false }
        let target = try context.deploymentTarget()
        guard let state = try await context.tolerant(arn, { try await target.serviceDeployment(arn) }) else {
            return false
        }
        if state.isInFlight {
            if context.isDryRun {
                context.logger.info("would stop ECS's service deployment \(arn) with ROLLBACK")
                return true
            }
            context.logger.info("stopping ECS's service deployment \(arn) (\(state.status)) with ROLLBACK")
            do { try await target.stopServiceDeployment(arn, rollback: true) } catch {
                // It may have ended (or started rolling back by its own alarms) since the look above.
                guard let after = try? await target.serviceDeployment(arn), !after.isInFlight else { throw error }
            }
        } else if !state.isRollingBack {
            return false
        }
        let deadline = ContinuousClock.now + timeout
        var backoff = Backoff(ceiling: poll)
        while true {
            guard let now = try await context.tolerant(arn, { try await target.serviceDeployment(arn) }) else {
                return true
            }
            if now.status == "ROLLBACK_SUCCESSFUL" || now.status == "STOPPED" {
                context.logger.info("ECS rolled the service deployment back: \(now.status)")
                return true
            }
            if now.status == "ROLLBACK_FAILED" {
                throw StageFailure("ECS could not roll \(arn) back: \(now.statusReason ?? "ROLLBACK_FAILED")")
            }
            guard ContinuousClock.now < deadline else {
                throw StageFailure("ECS's rollback of \(arn) did not finish within \(DurationFormat.format(timeout))")
            }
            try await context.sleep(for: backoff.next())
        }
    }
}
