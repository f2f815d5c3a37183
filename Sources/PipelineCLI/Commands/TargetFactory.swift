import Foundation
import PipelineAWS
import PipelineCore
import PipelineLocal

/// Builds the deployment target a pipeline's `target.provider` names.
enum TargetFactory {
    /// Stages that talk to a deployment target.
    static let targetStages: Set<String> = [
        "register-task-definition", "canary-deploy", "alarm-watch", "promote", "rollback", "dns-alias",
    ]

    /// Checks the target's settings without touching anything; throws `.invalidInput` (exit 2) naming
    /// the file, line and key.
    @discardableResult
    static func check(_ pipeline: Pipeline, source: any SourceTree) throws -> LocalTargetSettings? {
        guard pipeline.target.provider == "local" else { return nil }
        let text = try? source.readText(pipeline.file)
        let tree = text.flatMap { try? LocatedValue.parse(yaml: $0, file: pipeline.file) }
        return try LocalTargetSettings.parse(pipeline.target, file: pipeline.file, locate: { tree?.locate($0) })
    }

    /// The target, or nil when the pipeline needs none; throws `.invalidInput` for unusable settings
    /// (checked as `check` does, before anything starts).
    /// For `provider: local` this starts the agent when none runs and sets up the pipeline's service on it.
    static func make(
        for pipeline: Pipeline, environment: [String: String], source: any SourceTree, stateRoot: String,
        configure: Bool = true, note: (String) -> Void = { _ in }
    ) async throws -> (any DeploymentTarget)? {
        let needsTarget = (pipeline.stages + pipeline.onFailure).contains { targetStages.contains($0.uses) }
        switch pipeline.target.provider {
        case "aws":
            guard needsTarget || pipeline.stages.contains(where: { $0.uses == "build-task-definition" }) else {
                return nil
            }
            return try AWSDeploymentTarget.make(for: pipeline.target, environment: environment)
        case "local":
            guard let settings = try check(pipeline, source: source), needsTarget else { return nil }
            let paths = LocalPaths(stateRoot: URL(fileURLWithPath: stateRoot).standardizedFileURL)
            let outcome = try await AgentLauncher.ensureRunning(
                paths: paths, executable: AgentLauncher.ownExecutable, environment: environment)
            if let message = outcome.note { note(message) }
            if outcome.started {
                note("started the local agent (\(paths.root.path)); stop it with `pipeline agent stop`")
            }
            let target = LocalDeploymentTarget(
                client: outcome.client, paths: paths, source: source, declared: configure ? nil : settings)
            if configure {
                do { try await target.configure(settings) } catch {
                    // Bad settings (a taken port): leave nothing running that this run started.
                    if outcome.started { _ = try? await outcome.client.call(AgentRequest("stop"), timeout: 10) }
                    throw error
                }
            }
            return target
        default:
            return nil
        }
    }
}
