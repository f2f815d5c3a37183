import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore

/// Runs one pipeline at one commit: preflight, target, lock, record, runner. Shared by `run` and `watch`.
struct RunExecutor {
    var registry: StageRegistry
    var environment: [String: String]
    var store: RunStore
    var mode: ProgressRenderer.Mode
    var dryRun = false
    var wait = true

    /// Checks, locks the target and runs. `control` lets the caller cancel; `onStart` sees the run's recorder.
    func execute(
        _ pipeline: Pipeline, source: any SourceTree, commit: CommitInfo, repository: String?, trigger: String,
        control: RunControl = RunControl(), onStart: (DiskRecorder) -> Void = { _ in }
    ) async throws -> RunRecord {
        try Preflight.check(pipeline, registry: registry, source: source, commit: commit, environment: environment)
        var services = ServiceBag()
        let quietNotes = mode == .silent
        if let target = try await TargetFactory.make(
            for: pipeline, environment: environment, source: source, stateRoot: store.root, configure: !dryRun,
            note: { message in if !quietNotes { Terminal.note(message) } })
        {
            if let aws = target as? AWSDeploymentTarget { try await aws.client.checkCredentials() }
            services.set(DeploymentTargetBox(dryRun ? ReadOnlyTarget(target) : target))
        }
        let progress = ProgressRenderer(mode: mode, showLogs: dryRun)
        let quiet = mode == .silent
        let lock = try await TargetLock.acquire(
            store, key: pipeline.target.lockKey, holder: "\(pipeline.name) (pid \(getpid()))", wait: wait,
            onWait: { message in if !quiet { Terminal.note(message) } })
        defer { _ = lock }
        let (recorder, record) = try store.createRun(
            pipeline: pipeline, trigger: trigger, commit: commit, repository: repository, dryRun: dryRun)
        onStart(recorder)
        let runner = Runner(
            registry: registry, environment: environment, history: StoreHistory(store: store), services: services,
            observer: progress)
        progress.start()
        defer { progress.stop() }
        return await runner.run(
            Runner.Job(pipeline: pipeline, record: record, source: source, recorder: recorder, control: control))
    }

    /// Records a run that will not execute (`superseded`, `rejected`) with the reason.
    func recordSkipped(
        _ pipeline: Pipeline, commit: CommitInfo, repository: String?, status: RunStatus, reason: String
    ) throws -> RunRecord {
        let (recorder, record) = try store.createRun(
            pipeline: pipeline, trigger: "push", commit: commit, repository: repository, dryRun: false, status: status)
        var final = record
        final.status = status
        final.error = reason
        final.endedAt = Date()
        final.durationMs = 0
        for i in final.stages.indices { final.stages[i].status = .skipped }
        try recorder.write(final)
        try recorder.append(RunEvent(.runFinished, run: final.id, status: status.rawValue, message: reason))
        return final
    }
}
