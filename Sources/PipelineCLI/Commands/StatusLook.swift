import Foundation
import PipelineCore
import PipelineStore

/// What `pipeline status` and the dashboard's target page look at: a pipeline's target (read-only: it
/// changes nothing, and the local provider starts no agent), its main and canary service names, and
/// the alarms its stages watch.
struct StatusLook: Sendable {
    let pipeline: Pipeline
    let target: any DeploymentTarget
    let main: String
    let canary: String
    let alarms: [AlarmWatchSpec]

    static func prepare(
        _ pipeline: Pipeline, source: any SourceTree, commit: CommitInfo, registry: StageRegistry,
        environment: [String: String], stateRoot: String, note: @escaping @Sendable (String) -> Void
    ) async throws -> StatusLook {
        let services = try await TargetFactory.services(
            for: pipeline, registry: registry, environment: environment, source: source, stateRoot: stateRoot,
            dryRun: true, note: note)
        guard let target = services.get(DeploymentTargetBox.self)?.target, let main = pipeline.target.service else {
            throw PipelineError(.invalidInput, "\(pipeline.file): its provider has no target to look at")
        }
        // The canary's name as canary-deploy gives it, when the file says it without expressions.
        let canary =
            pipeline.stages.first { registry.resolve($0.uses)?.descriptor.name == "canary-deploy" }
            .flatMap { $0.with["canary_service"] }.flatMap { node -> String? in
                if case .string(let template) = node.kind, !template.hasExpressions { return template.raw }
                return nil
            } ?? "\(main)-canary"
        let scope = ExpressionScope(
            commit: commit, pipelineName: pipeline.name, runID: "\(pipeline.name)-status", environment: environment,
            target: pipeline.target)
        let alarms = (try? pipeline.watchedAlarms(registry: registry, scope: scope)) ?? []
        return StatusLook(pipeline: pipeline, target: target, main: main, canary: canary, alarms: alarms)
    }

    /// One look now, with the pipeline's `runs` newest runs.
    func report(store: any StateStore, runs: Int) async throws -> StatusReport {
        try await StatusReport.gather(
            pipeline: pipeline, target: target, main: main, canary: canary, alarms: alarms, store: store, runs: runs)
    }
}
