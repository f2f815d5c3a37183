import Foundation
import PipelineCore

extension StageContext {
    /// The main service: `target.service`.
    func mainService() throws -> String {
        guard let service = target.service else { throw StageFailure("target.service is not set") }
        return service
    }

    /// `with.canary_service`, else `<service>-canary`.
    func canaryService() throws -> String {
        try inputs.string("canary_service") ?? "\(try mainService())-canary"
    }

    /// `with.task_definition`, else the `task_definition_arn` output of an earlier stage (the newest one).
    func taskDefinitionToDeploy() throws -> String {
        if let explicit = try inputs.string("task_definition"), !explicit.isEmpty { return explicit }
        let candidates = outputs.compactMap { id, out -> (String, String)? in
            guard case .string(let arn)? = out["task_definition_arn"] else { return nil }
            return (id, arn)
        }
        if candidates.count == 1 { return candidates[0].1 }
        if candidates.isEmpty {
            throw StageFailure(
                "no task definition to deploy: set with.task_definition or run register-task-definition first")
        }
        let ids = candidates.map(\.0).sorted().joined(separator: ", ")
        throw StageFailure("several stages output task_definition_arn (\(ids)); set with.task_definition")
    }

    func pollInterval(default value: Duration) throws -> Duration {
        try inputs.duration("poll_interval") ?? value
    }
}

/// Waits until a service's deployment of a task definition is COMPLETED; throws on FAILED or timeout.
func waitForRollout(
    _ target: any DeploymentTarget, service: String, taskDefinition: String, timeout: Duration,
    poll: Duration, context: StageContext
) async throws -> DeploymentState {
    let deadline = ContinuousClock.now + timeout
    var lastReported = ""
    while true {
        guard let state = try await target.service(service) else {
            throw StageFailure("service \(service) disappeared while waiting for its deployment")
        }
        let deployment =
            state.deployments.first { $0.taskDefinition == taskDefinition && $0.status == "PRIMARY" }
            ?? state.deployments.first { $0.taskDefinition == taskDefinition }
        if let deployment {
            let report = "\(deployment.rolloutState) running \(deployment.runningCount)/\(deployment.desiredCount)"
            if report != lastReported {
                context.logger.info("\(service): deployment \(deployment.id) \(report)")
                lastReported = report
            }
            switch deployment.rolloutState {
            case "COMPLETED": return deployment
            case "FAILED":
                throw StageFailure(
                    "ECS deployment \(deployment.id) of \(service) FAILED: \(deployment.rolloutStateReason)")
            default: break
            }
        } else if state.taskDefinition != taskDefinition {
            throw StageFailure(
                "service \(service) runs \(state.taskDefinition), not \(taskDefinition): the deployment was replaced or rolled back"
            )
        }
        guard ContinuousClock.now + poll < deadline else {
            throw StageFailure(
                "timed out after \(DurationFormat.format(timeout)) waiting for \(service) to complete its deployment of \(taskDefinition) (\(lastReported))"
            )
        }
        try await context.sleep(for: poll)
    }
}
