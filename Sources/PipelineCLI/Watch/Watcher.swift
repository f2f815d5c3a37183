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
    let store: RunStore
    let registry: StageRegistry
    let environment: [String: String]
    let interval: Duration
    let poll: Duration
    let cursors: CursorStore
    private let stopping = Mutex(false)
    private let lastFetch = Mutex<ContinuousClock.Instant?>(nil)

    init(
        repo: String, branchFilters: [String], store: RunStore, registry: StageRegistry,
        environment: [String: String], interval: Duration, poll: Duration
    ) throws {
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
        mirrorPath = "\(store.root)/mirrors/\(key.suffix(100))"
        self.branchFilters = branchFilters
        self.store = store
        self.registry = registry
        self.environment = environment
        self.interval = interval
        self.poll = poll
        cursors = try CursorStore(store: store, repositoryKey: key)
    }

    func log(_ message: String) {
        Terminal.write("\(Terminal.timestamp()) watch: \(message)\n")
    }

    /// How often watch looks for runs whose process died (their targets are recovered at once).
    static let recoveryInterval: Duration = .seconds(5)

    func run() async throws {
        log("watching \(source)\(branchFilters.isEmpty ? "" : " (branches \(branchFilters.joined(separator: ", ")))")")
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.recoveryLoop() }
                while !stopping.withLock({ $0 }) {
                    do { try await cycle() } catch { log("error: \(error)") }
                    if stopping.withLock({ $0 }) { break }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.poll) }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.log("shutting down: no new runs will start")
        }
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
        try FileManager.default.createDirectory(atPath: "\(store.root)/mirrors", withIntermediateDirectories: true)
        let (url, path) = (source, mirrorPath)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try GitRepository.fetchMirror(url: url, into: path) })
            }
        }
    }

    /// One look: new commits per branch → planned runs → runs, with cursors saved after each step.
    func cycle() async throws {
        let repository = try await openRepository()
        var saved = try cursors.load()
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
            for decision in decisions {
                let key = "\(decision.pipeline.name)@\(branch)"
                let executor = RunExecutor(registry: registry, environment: environment, store: store, mode: .plain)
                for sha in decision.superseded {
                    let record = try executor.recordSkipped(
                        decision.pipeline, commit: try commitInfo(repository, sha, branch), repository: source,
                        status: .superseded, reason: "superseded by \(decision.commit.prefix(7)) (coalesced)")
                    log("\(record.id) superseded (\(sha.prefix(7)))")
                }
                if stopping.withLock({ $0 }) {
                    log("not starting \(decision.pipeline.name) for \(decision.commit.prefix(7)): shutting down")
                    return
                }
                if let mark = store.quarantined(pipeline: decision.pipeline.name, sha: decision.commit) {
                    log(
                        "not deploying \(decision.pipeline.name) at \(decision.commit.prefix(7)): quarantined (\(mark.runID) rolled it back); `pipeline run \(decision.pipeline.name) --commit \(decision.commit) --force` deploys it"
                    )
                    saved.pipelines[key] = decision.commit
                    try cursors.save(saved)
                    continue
                }
                if let signers = decision.pipeline.push?.allowedSigners {
                    let result = await CommitVerifier.verify(repository, sha: decision.commit, allowedSigners: signers)
                    if case .failure(let failure) = result {
                        let record = try executor.recordSkipped(
                            decision.pipeline, commit: try commitInfo(repository, decision.commit, branch),
                            repository: source, status: .rejected,
                            reason: "commit \(decision.commit.prefix(7)) rejected: \(failure.reason)")
                        log("\(record.id) rejected: \(failure.reason); nothing deployed")
                        saved.pipelines[key] = decision.commit
                        try cursors.save(saved)
                        continue
                    }
                    if case .success(let principal) = result {
                        log("\(decision.commit.prefix(7)) signed by \(principal)")
                    }
                }
                log("running \(decision.pipeline.name) for \(decision.commit.prefix(7)) on \(branch)")
                let control = RunControl()
                do {
                    let record = try await withTaskCancellationHandler {
                        try await executor.execute(
                            decision.pipeline, source: GitSourceTree(repository: repository, sha: decision.commit),
                            commit: try commitInfo(repository, decision.commit, branch), repository: source,
                            trigger: "push", control: control)
                    } onCancel: {
                        control.cancel(reason: "watch shutting down: grace period over")
                    }
                    log("\(record.id) \(record.status.rawValue)")
                } catch {
                    log("\(decision.pipeline.name) at \(decision.commit.prefix(7)) not run: \(error)")
                }
                saved.pipelines[key] = decision.commit
                try cursors.save(saved)
            }
            saved.branches[branch] = head
            try cursors.save(saved)
        }
    }

    func commitInfo(_ repository: GitRepository, _ sha: String, _ branch: String) throws -> CommitInfo {
        let c = try repository.commit(sha)
        return CommitInfo(sha: sha, branch: branch, message: c.message, author: c.author, date: c.date)
    }
}
