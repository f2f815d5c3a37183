import Foundation
import PipelineCore
import PipelineGit

/// Where a command reads the pipeline and its files from.
struct ResolvedSource {
    var tree: any SourceTree
    var commit: CommitInfo
    var repository: String?
    /// The pipeline argument as a path or name inside the tree.
    var pipelineRef: String
}

/// Decides which source tree a pipeline argument refers to.
enum SourceResolver {
    /// The enclosing repository of a folder: the nearest folder at or above it that holds `.git`.
    static func enclosingRepository(of folder: URL) -> URL? {
        var current = folder.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// The repository root and the pipeline reference inside it: `--repo`, else the repository that
    /// encloses the current folder (from any subfolder), else the current folder.
    static func locate(pipeline: String, repo: String?) -> (root: URL, ref: String) {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        let root =
            repo.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL }
            ?? enclosingRepository(of: cwd) ?? cwd
        let looksLikePath = pipeline.contains("/") || pipeline.hasSuffix(".yml") || pipeline.hasSuffix(".yaml")
        guard looksLikePath else { return (root, pipeline) }
        let file = URL(fileURLWithPath: pipeline, relativeTo: repo == nil ? cwd : root).standardizedFileURL
        if file.path.hasPrefix(root.path + "/") {
            return (root, String(file.path.dropFirst(root.path.count + 1)))
        }
        let folder = file.deletingLastPathComponent()
        if folder.lastPathComponent == "pipelines" {
            return (folder.deletingLastPathComponent(), "pipelines/\(file.lastPathComponent)")
        }
        return (folder, file.lastPathComponent)
    }

    /// The commit to deploy (HEAD unless `commit` is given), or — only with `workTree` — the files as
    /// they are, recorded as the work tree. Outside a git repository without `workTree`: exit 2.
    static func resolve(pipeline: String, repo: String?, commit: String?, workTree: Bool = false) throws
        -> ResolvedSource
    {
        let (root, ref) = locate(pipeline: pipeline, repo: repo)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw PipelineError(.notFound, "repository folder \(root.path) does not exist")
        }
        if workTree {
            if let commit {
                throw PipelineError(.invalidInput, "--work-tree and --commit \(commit) exclude each other")
            }
            return ResolvedSource(
                tree: DirectorySourceTree(root: root), commit: .workingTree, repository: root.path, pipelineRef: ref)
        }
        if let resolved = try GitSourceHook.resolve(root: root, ref: ref, commit: commit) {
            return resolved
        }
        throw PipelineError(
            .invalidInput,
            "\(root.path) is not inside a git repository: pipelines deploy commits. Run from a repository, "
                + "give --repo PATH, or --work-tree to use the files as they are (recorded as the work tree, "
                + "commit \(CommitInfo.workingTree.shortSHA))")
    }
}

/// Reads pipelines from git commits when the folder is a git repository.
enum GitSourceHook {
    /// nil when `root` is not a git repository.
    static func resolve(root: URL, ref: String, commit: String?) throws -> ResolvedSource? {
        guard GitRepository.exists(at: root.path) else { return nil }
        do {
            let repository = try GitRepository.open(root.path)
            let revision = commit ?? "HEAD"
            let sha: String
            do { sha = try repository.resolve(revision) } catch {
                let known = (try? repository.branches().keys.sorted().joined(separator: ", ")) ?? ""
                throw PipelineError(
                    .notFound,
                    "no commit '\(revision)' in \(root.path) (\(error.message)); branches: \(known.isEmpty ? "none" : known)"
                )
            }
            let info = try repository.commit(sha)
            var branch: String?
            if let commit, (try? repository.branches())?[commit] != nil {
                branch = commit
            } else if commit == nil || commit == "HEAD" {
                branch = repository.currentBranch()
            }
            return ResolvedSource(
                tree: GitSourceTree(repository: repository, sha: sha),
                commit: CommitInfo(
                    sha: sha, branch: branch, message: info.message, author: info.author, date: info.date),
                repository: root.path, pipelineRef: ref)
        } catch let error as GitError {
            throw error.pipelineError
        }
    }
}
