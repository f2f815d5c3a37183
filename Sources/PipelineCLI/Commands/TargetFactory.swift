import Foundation
import PipelineAWS
import PipelineCore

/// Builds the deployment target a pipeline's `target.provider` names.
enum TargetFactory {
    /// Stages that talk to a deployment target.
    static let targetStages: Set<String> = [
        "register-task-definition", "canary-deploy", "alarm-watch", "promote", "rollback", "dns-alias",
    ]

    /// The target, or nil when the pipeline needs none; throws `.invalidInput` for unusable settings.
    static func make(for pipeline: Pipeline, environment: [String: String]) throws -> (any DeploymentTarget)? {
        let needsTarget = (pipeline.stages + pipeline.onFailure).contains { targetStages.contains($0.uses) }
        switch pipeline.target.provider {
        case "aws":
            guard needsTarget || pipeline.stages.contains(where: { $0.uses == "build-task-definition" }) else {
                return nil
            }
            return try AWSDeploymentTarget.make(for: pipeline.target, environment: environment)
        case "local":
            if needsTarget {
                let names = (pipeline.stages + pipeline.onFailure).filter { targetStages.contains($0.uses) }.map(\.id)
                throw PipelineError(
                    .unsupported,
                    "\(pipeline.file): provider 'local' cannot run \(names.joined(separator: ", ")) yet: the local "
                        + "provider is not built in this version; use provider: aws")
            }
            return nil
        default:
            return nil
        }
    }
}
