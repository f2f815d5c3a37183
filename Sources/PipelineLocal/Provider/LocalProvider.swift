import Foundation
import PipelineCore

/// `provider: local`: the pipeline's service as processes on this machine, behind the agent's load
/// balancer, with its metrics and alarms (see docs/local.md).
package struct LocalProvider: DeploymentProvider {
    /// The `local` provider's name, summary and settings.
    package static let descriptor = ProviderDescriptor(
        name: "local", summary: "Runs the service as processes on this machine behind a local load balancer.",
        settings: Settings.self)

    /// What `provider: local` takes under `target:`.
    package struct Settings: InputDeclarations {
        let service = Input<String>(required: "service", help: "the service to run")
        let listenerPort = Input<Int?>("listener_port", help: "the load balancer's port (1–65535)")
        let healthCheckPath = Input<String?>(
            "health_check_path", help: "the load balancer's health check", defaultText: "`/`")
        let alarms = Input<InputValue?>("alarms", help: "alarms on the load balancer's metrics (see docs/local.md)")
        let desiredCount = Input<Int?>("desired_count", help: "tasks of the main service", defaultText: "1")
        let cluster = Input<String?>("cluster", help: "ignored (accepted so that a pipeline can switch providers)")
        let region = Input<String?>("region", help: "ignored (accepted so that a pipeline can switch providers)")
        /// The declarations.
        package init() {}
    }

    /// The provider.
    package init() {}

    /// Checks listener, health check, desired count and alarms.
    package static func check(_ target: TargetConfig, locate: (String) -> SourceLocation?) -> [Diagnostic] {
        do {
            _ = try LocalTargetSettings.parse(target)
            return []
        } catch let error as PipelineError {
            return [LocalTargetSettings.diagnostic(error, locate: locate)]
        } catch {
            return [Diagnostic(location: nil, path: "target", message: "\(error)")]
        }
    }

    /// Starts the agent when none runs and sets up the pipeline's service on it (a read-only request only
    /// declares the settings).
    package func makeTarget(_ request: TargetRequest) async throws -> any DeploymentTarget {
        // The loader already checked the settings with their lines (`check`); this reads them.
        let settings = try LocalTargetSettings.parse(request.pipeline.target)
        let paths = LocalPaths(stateRoot: URL(fileURLWithPath: request.stateDirectory).standardizedFileURL)
        if request.readOnly, AgentLauncher.runningPID(paths) == nil {
            // A dry run starts nothing: no agent, no port bound, no folder made.
            request.note("dry run: no local agent runs for \(paths.root.path); nothing is started")
            return OfflineLocalTarget(settings: settings, root: paths.root.path)
        }
        let outcome = try await AgentLauncher.ensureRunning(
            paths: paths, executable: AgentLauncher.ownExecutable, environment: request.environment)
        if let message = outcome.note { request.note(message) }
        if outcome.started {
            let folder = request.stateDirectory.contains(" ") ? "'\(request.stateDirectory)'" : request.stateDirectory
            request.note(
                "started the local agent (\(paths.root.path)); stop it with `pipeline agent stop --state-dir \(folder)`"
            )
        }
        let target = LocalDeploymentTarget(
            client: outcome.client, paths: paths, source: request.source,
            declared: request.readOnly ? settings : nil)
        if !request.readOnly {
            do { try await target.configure(settings) } catch {
                // Bad settings (a taken port): leave nothing running that this run started.
                if outcome.started { _ = try? await outcome.client.call(AgentRequest.stop, timeout: 10) }
                throw error
            }
        }
        return target
    }
}
