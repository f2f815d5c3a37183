import Foundation
import PipelineCore
import PipelineGit
import PipelineStore

/// Runs one pipeline at one commit: preflight, target, lock, recovery of an abandoned run, record,
/// runner, quarantine. Shared by `run`, `watch` and `recover`.
struct RunExecutor {
    var registry: StageRegistry
    var environment: [String: String]
    var store: any StateStore
    var mode: ProgressRenderer.Mode
    var dryRun = false
    var wait = true

    private var quiet: Bool { mode == .silent }

    private func note(_ message: String) {
        if mode != .silent { Terminal.note(message) }
    }

    /// Checks, locks the target and runs. `control` lets the caller cancel; `onStart` sees the run's recorder.
    func execute(
        _ pipeline: Pipeline, source: any SourceTree, commit: CommitInfo, repository: String?, trigger: String,
        control: RunControl = RunControl(), quarantineOnFailure: Bool = true,
        onStart: (any RunRecorder, RunRecord) async throws -> Void = { _, _ in }
    ) async throws -> RunRecord {
        try Preflight.check(pipeline, registry: registry, source: source, commit: commit, environment: environment)
        StartupTrace.milestone("preflight checked")
        let quietNotes = quiet
        let services = try await TargetFactory.services(
            for: pipeline, registry: registry, environment: environment, source: source, stateRoot: store.localRoot,
            dryRun: dryRun, note: { message in if !quietNotes { Terminal.note(message) } })
        StartupTrace.milestone("target made")
        let progress = ProgressRenderer(mode: mode, showLogs: dryRun)
        let waitStart = ContinuousClock.now
        let lock = try await store.acquireLock(
            key: pipeline.target.lockKey, holder: LeaseHolder(purpose: "\(pipeline.name) (run)"), wait: wait,
            onWait: { message in if !quietNotes { Terminal.note(message) } })
        RunMetrics.lockWait(ContinuousClock.now - waitStart, pipeline: pipeline.name)
        StartupTrace.milestone("target locked")
        do {
            let final = try await execute(
                pipeline, holding: lock, source: source, commit: commit, repository: repository, trigger: trigger,
                control: control, quarantineOnFailure: quarantineOnFailure, services: services, progress: progress,
                onStart: onStart)
            await lock.release()
            return final
        } catch {
            await lock.release()
            throw error
        }
    }

    private func execute(
        _ pipeline: Pipeline, holding lock: any TargetLease, source: any SourceTree, commit: CommitInfo,
        repository: String?, trigger: String, control: RunControl, quarantineOnFailure: Bool, services: ServiceBag,
        progress: ProgressRenderer, onStart: (any RunRecorder, RunRecord) async throws -> Void
    ) async throws -> RunRecord {
        if let abandoned = await lock.abandonedRun() {
            if dryRun {
                note("run \(abandoned) on this target was interrupted and is not recovered yet (`pipeline recover`)")
            } else {
                _ = try await recover(abandoned, holding: lock)
            }
        }
        let (recorder, record) = try await store.startRun(
            pipeline: pipeline, trigger: trigger, commit: commit, repository: repository, dryRun: dryRun,
            status: .running)
        if dryRun {
            try await lock.attach(runID: record.id)
        } else {
            try await store.savePipelineSource(try source.readText(pipeline.file), runID: record.id)
            try await lock.markActive(record.id)
        }
        StartupTrace.milestone("run recorded")
        try await onStart(recorder, record)
        lock.onLost { reason in control.cancel(reason: "lost the target's lease: \(reason)") }
        let requests = RequestPoller.start(store: store, runID: record.id, control: control)
        defer { requests.cancel() }
        var services = services
        let notifier = dryRun ? nil : try notifier(for: pipeline, commit: commit, services: &services)
        let runner = Runner(
            registry: registry, environment: environment, history: store.history, services: services,
            observer: RunObservers(all: [progress, RunMetrics()] + (notifier.map { [$0] } ?? [])))
        progress.start()
        defer { progress.stop() }
        StartupTrace.milestone("runner starts")
        let final = await runner.run(
            Runner.Job(
                pipeline: pipeline, record: record, source: source, recorder: recorder, control: control, lease: lock))
        if let notifier, await !notifier.drain(within: Self.notificationDrain) {
            note(
                "notify: notifications still being sent after \(DurationFormat.format(Self.notificationDrain)) are left behind"
            )
        }
        if !dryRun, final.status != .interrupted {
            await lock.clearActive()
            if quarantineOnFailure { await quarantineIfFailed(final) }
        }
        return final
    }

    /// A run whose deployment failed (not one that was cancelled or interrupted, nor one that stopped
    /// before changing anything) quarantines its commit.
    func quarantineIfFailed(_ record: RunRecord) async {
        guard [.rolledBack, .failed].contains(record.status), record.commit.sha != CommitInfo.workingTree.sha,
            let failed = record.stages.first(where: {
                $0.phase == "main" && [.failed, .timedOut].contains($0.status) && $0.startedAt != nil
            }),
            record.stages.contains(where: {
                $0.phase == "main" && $0.startedAt != nil
                    && registry.resolve($0.uses)?.descriptor.safety.changesTarget == true
            })
        else { return }
        let mark = QuarantineMark(
            pipeline: record.pipeline, sha: record.commit.sha, runID: record.id,
            reason: "stage '\(failed.id)' \(failed.status.rawValue): \(failed.error ?? "")", at: Date())
        do {
            try await store.quarantine(mark)
            note("commit \(record.commit.shortSHA) is quarantined: `watch` will not deploy it again on its own")
        } catch {
            note("could not quarantine \(record.commit.shortSHA): \(error)")
        }
    }

    /// Finishes a run whose process died, while holding its target's lock: runs its `on_failure` stages
    /// with what it recorded, inside its record. Returns nil when the run had already ended.
    func recover(_ runID: String, holding lock: any TargetLease) async throws -> RunRecord? {
        let (recorder, record) = try await store.reopenForRecovery(runID: runID)
        guard record.status == .interrupted || record.status == .running else {
            await lock.clearActive()
            return nil
        }
        try await lock.attach(runID: runID)
        guard let text = try await store.pipelineSource(runID: runID) else {
            throw PipelineError(.corruptRecord, "run \(runID) kept no pipeline.yml: it cannot be recovered here")
        }
        let pipeline = try Catalog.loader(registry, environment: environment)
            .load(text: text, file: record.pipelineFile)
        let source =
            Self.repositoryTree(record)
            ?? InMemorySourceTree(files: [record.pipelineFile: text], description: "\(runID)'s pipeline.yml")
        let quietNotes = quiet
        var services = try await TargetFactory.services(
            for: pipeline, registry: registry, environment: environment, source: source, stateRoot: store.localRoot,
            dryRun: false, note: { message in if !quietNotes { Terminal.note(message) } })
        // A recovery notifies too; a notify: entry this machine cannot resolve (a variable unset here) is skipped.
        let notifier = (try? notifier(for: pipeline, commit: record.commit, services: &services)) ?? nil
        note("\(runID) was interrupted (its process died): recovering it by running its on_failure stages")
        let progress = ProgressRenderer(mode: mode == .silent ? .silent : .plain, showLogs: false)
        let runner = Runner(
            registry: registry, environment: environment, history: store.history, services: services,
            observer: RunObservers(all: [progress, RunMetrics()] + (notifier.map { [$0] } ?? [])))
        let final = await runner.recover(
            Runner.Job(pipeline: pipeline, record: record, source: source, recorder: recorder, lease: lock),
            by: Self.who)
        _ = await notifier?.drain(within: Self.notificationDrain)
        guard final.status != .interrupted else {
            throw PipelineError(.locked, "recovery of \(runID) stopped: \(final.error ?? "the lease was lost")")
        }
        await lock.clearActive()
        note("\(runID) recovered: \(final.status.rawValue)")
        return final
    }

    /// `user@host (pid N)`.
    static var who: String { "\(RunStore.identity) (pid \(getpid()))" }

    /// The run's commit from its repository, when this machine has it.
    static func repositoryTree(_ record: RunRecord) -> (any SourceTree)? {
        guard let path = record.repository, record.commit.sha != CommitInfo.workingTree.sha,
            GitRepository.exists(at: path),
            let repository = try? GitRepository.open(path), (try? repository.commit(record.commit.sha)) != nil
        else { return nil }
        return GitSourceTree(repository: repository, sha: record.commit.sha)
    }

    /// Records a run that will not execute (`superseded`, `rejected`) with the reason.
    func recordSkipped(
        _ pipeline: Pipeline, commit: CommitInfo, repository: String?, status: RunStatus, reason: String
    ) async throws -> RunRecord {
        let (recorder, record) = try await store.startRun(
            pipeline: pipeline, trigger: "push", commit: commit, repository: repository, dryRun: false, status: status)
        var final = record
        final.status = status
        final.error = reason
        final.endedAt = Date()
        final.durationMs = 0
        for i in final.stages.indices { final.stages[i].status = .skipped }
        try recorder.write(final)
        try recorder.append(RunEvent(.runFinished, run: final.id, status: status.rawValue, message: reason))
        try await recorder.flush()
        return final
    }

    /// Recovers every run whose process died and whose target is free now; returns what was recovered.
    func recoverAbandoned() async -> [RunRecord] {
        var out: [RunRecord] = []
        for (key, runID) in await store.abandonedTargets() {
            guard
                let lock = try? await store.tryLock(key: key, holder: LeaseHolder(purpose: "recovery of \(runID)"))
            else { continue }
            do {
                if let record = try await recover(runID, holding: lock) { out.append(record) }
            } catch {
                note("cannot recover \(runID): \(error)")
            }
            await lock.release()
        }
        return out
    }
}
