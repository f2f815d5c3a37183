import CLibGit2
import Foundation
import PipelineCore

/// An open git repository (through libgit2). Every call is serialised by a lock, as libgit2 objects must
/// not be used from two threads at once; the handle is freed when the last reference goes.
// @unchecked: the libgit2 handle is only touched inside `lock`.
package final class GitRepository: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    /// The path the repository was opened from.
    package let path: String

    private static let initialized: Bool = {
        git_libgit2_init()
        return true
    }()

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit { git_repository_free(handle) }

    /// Opens the repository at `path` (a work tree, its `.git`, or a bare repository).
    package static func open(_ path: String) throws(GitError) -> GitRepository {
        _ = initialized
        var repo: OpaquePointer?
        let flags = UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue)
        try check("open repository \(path)", git_repository_open_ext(&repo, path, flags, nil))
        return GitRepository(handle: repo!, path: path)
    }

    /// The folder that holds the refs and `packed-refs` (`.git`, a bare repository, or a worktree's
    /// common folder).
    package var commonDirectory: String {
        let directory = try? locked { handle in git_repository_commondir(handle).map { String(cString: $0) } }
        return (directory ?? nil) ?? path
    }

    /// Whether `path` holds a git repository (without searching parent folders).
    package static func exists(at path: String) -> Bool {
        _ = initialized
        return git_repository_open_ext(nil, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil) == 0
    }

    /// Opens a repository, runs `body`, and lets the handle go.
    package static func withRepository<T>(at path: String, _ body: (GitRepository) throws -> T) throws -> T {
        try body(try open(path))
    }

    func locked<T>(_ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(handle)
    }

    /// Resolves a branch, tag, short or full sha, or any revision expression to a commit sha.
    package func resolve(_ revision: String) throws(GitError) -> String {
        try locked { repo throws(GitError) in
            var object: OpaquePointer?
            try check("resolve '\(revision)'", git_revparse_single(&object, repo, revision))
            defer { git_object_free(object) }
            var commit: OpaquePointer?
            try check("resolve '\(revision)' to a commit", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
            defer { git_object_free(commit) }
            return OID.string(git_object_id(commit))
        }
    }

    /// The branch HEAD points at, or nil when HEAD is detached or unborn.
    package func currentBranch() -> String? {
        try? locked { repo throws(GitError) -> String? in
            var ref: OpaquePointer?
            guard git_repository_head(&ref, repo) == 0 else { return nil }
            defer { git_reference_free(ref) }
            guard git_reference_is_branch(ref) == 1 else { return nil }
            return String(cString: git_reference_shorthand(ref))
        }
    }

    /// Local branches and the commits they point at.
    package func branches() throws(GitError) -> [String: String] {
        try locked { repo throws(GitError) in
            var iterator: OpaquePointer?
            try check("list branches", git_branch_iterator_new(&iterator, repo, GIT_BRANCH_LOCAL))
            defer { git_branch_iterator_free(iterator) }
            var out: [String: String] = [:]
            var ref: OpaquePointer?
            var type = GIT_BRANCH_LOCAL
            while git_branch_next(&ref, &type, iterator) == 0 {
                defer { git_reference_free(ref) }
                var resolved: OpaquePointer?
                guard git_reference_resolve(&resolved, ref) == 0 else { continue }
                defer { git_reference_free(resolved) }
                if let oid = git_reference_target(resolved) {
                    out[String(cString: git_reference_shorthand(ref))] = OID.string(oid)
                }
            }
            return out
        }
    }

    /// A commit's metadata.
    package func commit(_ sha: String) throws(GitError) -> GitCommit {
        var oid = try OID.parse(sha)
        return try locked { repo throws(GitError) in
            var commit: OpaquePointer?
            try check("read commit \(sha)", git_commit_lookup(&commit, repo, &oid))
            defer { git_commit_free(commit) }
            let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
            var author = ""
            var date = Date(timeIntervalSince1970: 0)
            if let signature = git_commit_author(commit) {
                let name = String(cString: signature.pointee.name)
                let email = String(cString: signature.pointee.email)
                author = "\(name) <\(email)>"
                date = Date(timeIntervalSince1970: TimeInterval(signature.pointee.when.time))
            }
            var parents: [String] = []
            for i in 0..<git_commit_parentcount(commit) {
                if let id = git_commit_parent_id(commit, i) { parents.append(OID.string(id)) }
            }
            return GitCommit(sha: sha, message: message, author: author, date: date, parents: parents)
        }
    }

    /// Whether `commit` descends from `ancestor` (false when they are the same commit).
    package func isDescendant(_ commit: String, of ancestor: String) throws(GitError) -> Bool {
        var a = try OID.parse(commit)
        var b = try OID.parse(ancestor)
        return try locked { repo throws(GitError) in
            try check("compare \(commit) with \(ancestor)", git_graph_descendant_of(repo, &a, &b)) == 1
        }
    }

    /// Commits reachable from `head` but not from `known`, newest first (at most `limit`).
    package func commits(from head: String, downTo known: String?, limit: Int = 10_000) throws(GitError) -> [String] {
        try commits(from: head, hiding: known.map { [$0] } ?? [], limit: limit)
    }

    /// Commits reachable from `head` but from none of `hidden`, newest first (at most `limit`).
    package func commits(from head: String, hiding hidden: [String], limit: Int = 10_000) throws(GitError) -> [String] {
        var headOID = try OID.parse(head)
        var hiddenOIDs: [git_oid] = []
        for sha in hidden { hiddenOIDs.append(try OID.parse(sha)) }
        return try locked { repo throws(GitError) in
            var walk: OpaquePointer?
            try check("walk commits", git_revwalk_new(&walk, repo))
            defer { git_revwalk_free(walk) }
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
            try check("walk from \(head)", git_revwalk_push(walk, &headOID))
            for i in hiddenOIDs.indices {
                // A hidden commit that is not in this repository (e.g. after a force push) is skipped.
                _ = git_revwalk_hide(walk, &hiddenOIDs[i])
            }
            var out: [String] = []
            var oid = git_oid()
            while out.count < limit, git_revwalk_next(&oid, walk) == 0 { out.append(OID.string(&oid)) }
            return out
        }
    }

    /// The signature of a commit and the payload it covers; nil when the commit is not signed.
    package func signature(of sha: String) throws(GitError) -> GitSignature? {
        var oid = try OID.parse(sha)
        return try locked { repo throws(GitError) -> GitSignature? in
            var signature = git_buf()
            var payload = git_buf()
            defer {
                git_buf_dispose(&signature)
                git_buf_dispose(&payload)
            }
            let result = git_commit_extract_signature(&signature, &payload, repo, &oid, nil)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check("read the signature of \(sha)", result)
            return GitSignature(
                signature: String(cString: signature.ptr), payload: String(cString: payload.ptr))
        }
    }
}
