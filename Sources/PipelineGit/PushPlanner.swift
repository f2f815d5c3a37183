import Foundation
import PipelineCore

/// Decides, for new commits on a branch, which pipelines run for which commit — by the pipelines'
/// `on.push` branch and path filters, coalescing queued commits — and says why in log lines.
package struct PushPlanner: Sendable {
    /// One decided run.
    package struct Decision: Sendable {
        /// The pipeline as read from `commit`.
        package var pipeline: Pipeline
        /// The commit to deploy.
        package var commit: String
        /// Older queued commits this run replaces (recorded as `superseded`).
        package var superseded: [String]
    }

    /// What changed on a branch.
    package struct BranchUpdate: Sendable {
        package var branch: String
        package var old: String?
        package var new: String
        /// The new head does not descend from the old one.
        package var forced: Bool
        /// New commits, oldest first.
        package var commits: [String]
    }

    package let repository: GitRepository
    package let loader: PipelineLoader

    package init(repository: GitRepository, loader: PipelineLoader) {
        self.repository = repository
        self.loader = loader
    }

    /// The commits between the last seen head and the new one. A branch seen for the first time brings
    /// the commits that none of the already-known heads (`known`) has, or just its head on a first look.
    package func update(branch: String, old: String?, new: String, known: [String] = []) throws -> BranchUpdate {
        if old == new { return BranchUpdate(branch: branch, old: old, new: new, forced: false, commits: []) }
        guard let old else {
            let existing = known.filter { (try? repository.commit($0)) != nil }
            guard !existing.isEmpty else {
                return BranchUpdate(branch: branch, old: nil, new: new, forced: false, commits: [new])
            }
            let commits = try repository.commits(from: new, hiding: existing, limit: 1000).reversed()
            return BranchUpdate(branch: branch, old: nil, new: new, forced: false, commits: Array(commits))
        }
        let exists = (try? repository.commit(old)) != nil
        if exists, try repository.isDescendant(new, of: old) {
            let commits = try repository.commits(from: new, downTo: old, limit: 1000).reversed()
            return BranchUpdate(branch: branch, old: old, new: new, forced: false, commits: Array(commits))
        }
        return BranchUpdate(branch: branch, old: old, new: new, forced: true, commits: [new])
    }

    /// The runs to start for an update, given each pipeline's last commit; appends a reason per pipeline to `log`.
    package func plan(_ update: BranchUpdate, pipelineCursors: [String: String], log: inout [String]) -> [Decision] {
        guard !update.commits.isEmpty else { return [] }
        let head = update.new
        let tree = GitSourceTree(repository: repository, sha: head)
        let files = (try? PipelineLoader.pipelineFiles(in: tree)) ?? []
        var decisions: [Decision] = []
        for file in files {
            let pipeline: Pipeline
            do { pipeline = try loader.load(text: try tree.readText(file), file: file) } catch {
                log.append("\(file) at \(head.prefix(7)) is invalid, not run: \(error)")
                continue
            }
            guard let push = pipeline.push else {
                log.append("\(pipeline.name): no on.push trigger; not run for pushes")
                continue
            }
            guard push.branches.contains(where: { Glob.matches($0, update.branch) }) else {
                log.append(
                    "\(pipeline.name): branch \(update.branch) matches none of on.push.branches \(push.branches); not run"
                )
                continue
            }
            var queue: [String] = []
            // Changes are counted since the pipeline's last commit, else the branch's last seen head, else
            // (a branch seen for the first time) the first new commit's parent.
            // A base that is gone (e.g. after a force push) means "everything changed".
            var previous =
                (pipelineCursors["\(pipeline.name)@\(update.branch)"] ?? update.old
                ?? update.commits.first.flatMap { (try? repository.commit($0))?.parents.first })
                .flatMap { (try? repository.commit($0)) != nil ? $0 : nil }
            for commit in update.commits {
                defer { previous = commit }
                if let paths = push.paths {
                    let changed = (try? repository.changedPaths(from: previous, to: commit)) ?? []
                    let hits = changed.filter { path in path == file || paths.contains { Glob.matches($0, path) } }
                    if hits.isEmpty {
                        log.append(
                            "\(pipeline.name): \(commit.prefix(7)) changes no path in on.push.paths \(paths); not run")
                        continue
                    }
                }
                queue.append(commit)
            }
            guard let newest = queue.last else { continue }
            if push.coalesce {
                let superseded = Array(queue.dropLast())
                if !superseded.isEmpty {
                    log.append(
                        "\(pipeline.name): \(queue.count) commits queued; running only the newest \(newest.prefix(7)), "
                            + "\(superseded.count) superseded")
                }
                decisions.append(Decision(pipeline: pipeline, commit: newest, superseded: superseded))
            } else {
                for commit in queue {
                    let atCommit = GitSourceTree(repository: repository, sha: commit)
                    if let p = try? loader.load(text: try atCommit.readText(file), file: file) {
                        decisions.append(Decision(pipeline: p, commit: commit, superseded: []))
                    } else {
                        log.append("\(file) at \(commit.prefix(7)) is invalid, not run")
                    }
                }
            }
        }
        return decisions
    }
}
