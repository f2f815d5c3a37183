import Foundation
import PipelineCore
import PipelineGit
import PipelineStore
import ServiceLifecycle
import Synchronization

/// The watch loop as a service: look for new commits, plan, run; stop starting runs on graceful shutdown.
final class Watcher: Service, Sendable {
    let source: String
    let isRemote: Bool
    let mirrorPath: String
    let branchFilters: [String]
    let store: any StateStore
    let registry: StageRegistry
    let environment: [String: String]
    let interval: Duration
    let poll: Duration
    let cursors: any CursorStorage
    private let stopping = Mutex(false)
    private let lastFetch = Mutex<ContinuousClock.Instant?>(nil)
    private let wakeSignal = WakeSignal()
    /// inotify on a local repository's refs: wakes the loop as a branch moves (nil: polling only).
    private let refEvents: RefEvents?

    init(
        repo: String, branchFilters: [String], store: any StateStore, registry: StageRegistry,
        environment: [String: String], interval: Duration, poll: Duration, refEvents watchRefs: Bool = true
    ) async throws {
        isRemote = repo.contains("://") || (repo.contains("@") && repo.contains(":"))
        if isRemote {
            source = repo
        } else {
            source = URL(fileURLWithPath: repo).standardizedFileURL.path
            guard GitRepository.exists(at: source) else {
                throw PipelineError(.notFound, "\(source) is not a git repository")
            }
        }
        let key = source.replacingOccurrences(of: "/", with: "_")
        mirrorPath = "\(store.localRoot)/mirrors/\(key.suffix(100))"
        self.branchFilters = branchFilters
        self.store = store
        self.registry = registry
        self.environment = environment
        self.interval = interval
        self.poll = poll
        cursors = try await store.cursors(repositoryKey: key)
        if isRemote || !watchRefs {
            refEvents = nil
        } else {
            let signal = wakeSignal
            refEvents = RefEvents(gitDirectory: try GitRepository.open(source).commonDirectory) { signal.fire() }
        }
    }

    func log(_ message: String) {
        Terminal.write("\(Terminal.timestamp()) watch: \(message)\n")
    }

    /// A push was announced (a verified webhook): fetch and look now instead of at the next interval.
    func wake() {
        lastFetch.withLock { $0 = nil }
        wakeSignal.fire()
    }

    /// How often watch looks for runs whose process died (their targets are recovered at once).
    static let recoveryInterval: Duration = .seconds(5)

    func run() async throws {
        log(
            "watching \(source)\(branchFilters.isEmpty ? "" : " (branches \(branchFilters.joined(separator: ", ")))")\(refEvents == nil ? "" : " (inotify on its refs, polling every \(DurationFormat.format(poll)) besides)")"
        )
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.recoveryLoop() }
                while !stopping.withLock({ $0 }) {
                    do { try await cycle() } catch { log("error: \(error)") }
                    if stopping.withLock({ $0 }) { break }
                    await cancelWhenGracefulShutdown { await self.wakeSignal.wait(upTo: self.poll) }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.log("shutting down: no new runs will start")
        }
        refEvents?.cancel()
        log("stopped")
    }

    /// At start and every `recoveryInterval`: recovers runs whose process died (from any process using
    /// this state folder) as soon as their target is free.
    func recoveryLoop() async {
        let executor = RunExecutor(registry: registry, environment: environment, store: store, mode: .plain)
        while !Task.isCancelled, !stopping.withLock({ $0 }) {
            for record in await executor.recoverAbandoned() {
                log("\(record.id) was interrupted; recovered: \(record.status.rawValue)")
            }
            try? await Task.sleep(for: Self.recoveryInterval)
        }
    }

    /// Opens the repository (fetching a remote one when its interval has passed), off the cooperative pool.
    func openRepository() async throws -> GitRepository {
        if !isRemote { return try GitRepository.open(source) }
        let now = ContinuousClock.now
        let due = lastFetch.withLock { last in last.map { now - $0 >= interval } ?? true }
        if !due, GitRepository.exists(at: mirrorPath) { return try GitRepository.open(mirrorPath) }
        lastFetch.withLock { $0 = now }
        try FileManager.default.createDirectory(
            atPath: "\(store.localRoot)/mirrors", withIntermediateDirectories: true)
        let (url, path) = (source, mirrorPath)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try GitRepository.fetchMirror(url: url, into: path) })
            }
        }
    }

    /// One look: new commits per branch → planned runs → runs. Each pipeline@branch is handled under
    /// its lease, so that several watch processes sharing a state deploy each commit once; its cursor
    /// moves as its run starts, the branch's once every pipeline of the branch is done.
    func cycle() async throws {
        let repository = try await openRepository()
        let saved = try await cursors.load()
        let heads = try repository.branches()
        let loader = Catalog.loader(registry, environment: environment)
        let planner = PushPlanner(repository: repository, loader: loader)
        for branch in heads.keys.sorted() {
            guard branchFilters.isEmpty || branchFilters.contains(where: { Glob.matches($0, branch) }) else { continue }
            let head = heads[branch]!
            let old = saved.branches[branch]
            guard old != head else { continue }
            let update = try planner.update(
                branch: branch, old: old, new: head, known: saved.branches.filter { $0.key != branch }.map(\.value))
            if update.forced {
                log(
                    "force push on \(branch): \(old!.prefix(7)) → \(head.prefix(7)) is not a descendant; deploying the new head"
                )
            } else {
                log(
                    "\(branch): \(update.commits.count) new commit(s) \(old.map { String($0.prefix(7)) } ?? "(first look)")..\(head.prefix(7))"
                )
            }
            var reasons: [String] = []
            let decisions = planner.plan(update, pipelineCursors: saved.pipelines, log: &reasons)
            for reason in reasons { log(reason) }
            var complete = true
            var names: [String] = []
            for decision in decisions where !names.contains(decision.pipeline.name) {
                names.append(decision.pipeline.name)
            }
            for name in names {
                let key = "\(name)@\(branch)"
                if stopping.withLock({ $0 }) {
                    log("not starting \(name) on \(branch): shutting down")
                    return
                }
                guard let lease = try await store.tryLease(key, holder: LeaseHolder(purpose: "watch of \(key)")) else {
                    log("\(key) is being handled by another watch process")
                    complete = false
                    continue
                }
                do {
                    let lane = try await lane(
                        decisions.filter { $0.pipeline.name == name }, key: key, branch: branch, head: head,
                        repository: repository, planner: planner)
                    for decision in lane {
                        if stopping.withLock({ $0 }) { break }
                        try await handle(decision, key: key, branch: branch, repository: repository)
                    }
                    await lease.release()
                } catch {
                    await lease.release()
                    throw error
                }
            }
            if complete { try await cursors.setBranch(branch, head: head) }
        }
    }

    /// A pipeline@branch's runs, planned again from its own cursor when it has one below the head:
    /// the branch's cursor may lag behind (or run ahead of) what another watch process did for it, and
    /// no commit between the pipeline's last one and the head may go unrecorded.
    private func lane(
        _ planned: [PushPlanner.Decision], key: String, branch: String, head: String, repository: GitRepository,
        planner: PushPlanner
    ) async throws -> [PushPlanner.Decision] {
        guard let done = try await cursors.load().pipelines[key], done != head,
            (try? repository.isDescendant(head, of: done)) == true
        else { return planned }
        var ignored: [String] = []
        let update = try planner.update(branch: branch, old: done, new: head)
        let name = planned.first?.pipeline.name
        return planner.plan(update, pipelineCursors: [key: done], log: &ignored).filter { $0.pipeline.name == name }
    }

    /// Whether `commit` is `done` or an ancestor of it.
    private func isCovered(_ commit: String, by done: String?, in repository: GitRepository) -> Bool {
        guard let done else { return false }
        return done == commit || (try? repository.isDescendant(done, of: commit)) == true
    }

    /// One decided run, while holding its pipeline@branch lease.
    private func handle(
        _ decision: PushPlanner.Decision, key: String, branch: String, repository: GitRepository
    ) async throws {
        // Read again under the lease: another watch process may have handled this commit meanwhile.
        let done = try await cursors.load().pipelines[key]
        if isCovered(decision.commit, by: done, in: repository) {
            log("\(decision.pipeline.name) at \(decision.commit.prefix(7)) was handled by another watch process")
            return
        }
        // A watch process that died between recording the run and moving the cursor left the run in
        // the index: that commit has its record (recovered with its target), it is not run twice.
        let recent = try await store.list(
            pipeline: decision.pipeline.name, status: nil, limit: 20, includeDryRuns: false)
        if let earlier = recent.first(where: {
            $0.sha == decision.commit && $0.trigger == "push" && $0.branch == branch
                && ![.superseded, .rejected].contains($0.status)
        }) {
            log(
                "\(decision.pipeline.name) at \(decision.commit.prefix(7)) already has run \(earlier.id) (\(earlier.status.rawValue)): not run again"
            )
            try await cursors.setPipeline(key, commit: decision.commit)
            return
        }
        let executor = RunExecutor(registry: registry, environment: environment, store: store, mode: .plain)
        for sha in decision.superseded where !isCovered(sha, by: done, in: repository) {
            let record = try await executor.recordSkipped(
                decision.pipeline, commit: try commitInfo(repository, sha, branch), repository: source,
                status: .superseded, reason: "superseded by \(decision.commit.prefix(7)) (coalesced)")
            log("\(record.id) superseded (\(sha.prefix(7)))")
        }
        if let mark = await store.quarantined(pipeline: decision.pipeline.name, sha: decision.commit) {
            log(
                "not deploying \(decision.pipeline.name) at \(decision.commit.prefix(7)): quarantined (\(mark.runID) rolled it back); `pipeline run \(decision.pipeline.name) --commit \(decision.commit) --force` deploys it"
            )
            try await cursors.setPipeline(key, commit: decision.commit)
            return
        }
        if let signers = decision.pipeline.push?.allowedSigners {
            let result = await CommitVerifier.verify(repository, sha: decision.commit, allowedSigners: signers)
            if case .failure(let failure) = result {
                let record = try await executor.recordSkipped(
                    decision.pipeline, commit: try commitInfo(repository, decision.commit, branch),
                    repository: source, status: .rejected,
                    reason: "commit \(decision.commit.prefix(7)) rejected: \(failure.reason)")
                log("\(record.id) rejected: \(failure.reason); nothing deployed")
                try await cursors.setPipeline(key, commit: decision.commit)
                return
            }
            if case .success(let principal) = result {
                log("\(decision.commit.prefix(7)) signed by \(principal)")
            }
        }
        log("running \(decision.pipeline.name) for \(decision.commit.prefix(7)) on \(branch)")
        let control = RunControl()
        let cursors = self.cursors
        do {
            let record = try await withTaskCancellationHandler {
                try await executor.execute(
                    decision.pipeline, source: GitSourceTree(repository: repository, sha: decision.commit),
                    commit: try commitInfo(repository, decision.commit, branch), repository: source,
                    trigger: "push", control: control,
                    // The commit is taken once its run is recorded: a watch process that takes over
                    // after this one dies recovers that run instead of deploying the commit again.
                    onStart: { _, _ in try await cursors.setPipeline(key, commit: decision.commit) })
            } onCancel: {
                control.cancel(reason: "watch shutting down: grace period over")
            }
            log("\(record.id) \(record.status.rawValue)")
        } catch {
            log("\(decision.pipeline.name) at \(decision.commit.prefix(7)) not run: \(error)")
        }
        try await cursors.setPipeline(key, commit: decision.commit)
    }

    func commitInfo(_ repository: GitRepository, _ sha: String, _ branch: String) throws -> CommitInfo {
        let c = try repository.commit(sha)
        return CommitInfo(sha: sha, branch: branch, message: c.message, author: c.author, date: c.date)
    }
}
