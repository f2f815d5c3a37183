import CLibGit2
import Foundation
import PipelineCore

extension GitRepository {
    /// Runs `body` with the root tree of a commit.
    func withTree<T>(_ sha: String, _ body: (OpaquePointer, OpaquePointer) throws(GitError) -> T) throws(GitError) -> T
    {
        var oid = try OID.parse(sha)
        return try locked { repo throws(GitError) in
            var commit: OpaquePointer?
            try check("read commit \(sha)", git_commit_lookup(&commit, repo, &oid))
            defer { git_commit_free(commit) }
            var tree: OpaquePointer?
            try check("read the tree of \(sha)", git_commit_tree(&tree, commit))
            defer { git_tree_free(tree) }
            return try body(repo, tree!)
        }
    }

    /// A file's contents at a commit, without touching the work tree.
    package func readFile(_ path: String, at sha: String) throws(GitError) -> Data {
        try withTree(sha) { repo, tree throws(GitError) in
            var entry: OpaquePointer?
            try check("find \(path) at \(sha.prefix(7))", git_tree_entry_bypath(&entry, tree, path))
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
                throw GitError(operation: "read \(path) at \(sha.prefix(7))", message: "it is a folder", code: -1)
            }
            var blob: OpaquePointer?
            try check("read \(path) at \(sha.prefix(7))", git_blob_lookup(&blob, repo, git_tree_entry_id(entry)))
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
            return Data(bytes: raw, count: size)
        }
    }

    /// The mode bits (0o100644, 0o100755, 0o120000, ...) of a path at a commit.
    package func fileMode(_ path: String, at sha: String) throws(GitError) -> Int {
        try withTree(sha) { _, tree throws(GitError) in
            var entry: OpaquePointer?
            try check("find \(path) at \(sha.prefix(7))", git_tree_entry_bypath(&entry, tree, path))
            defer { git_tree_entry_free(entry) }
            return Int(git_tree_entry_filemode(entry).rawValue)
        }
    }

    /// The entries of a folder at a commit ("" is the root).
    package func listDirectory(_ path: String, at sha: String) throws(GitError) -> [SourceEntry] {
        try withTree(sha) { repo, root throws(GitError) in
            var folder: OpaquePointer? = root
            var owned: OpaquePointer?
            if !path.isEmpty {
                var entry: OpaquePointer?
                try check("find \(path) at \(sha.prefix(7))", git_tree_entry_bypath(&entry, root, path))
                defer { git_tree_entry_free(entry) }
                guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else {
                    throw GitError(operation: "list \(path) at \(sha.prefix(7))", message: "it is a file", code: -1)
                }
                try check("list \(path)", git_tree_lookup(&owned, repo, git_tree_entry_id(entry)))
                folder = owned
            }
            defer { if owned != nil { git_tree_free(owned) } }
            var out: [SourceEntry] = []
            for i in 0..<git_tree_entrycount(folder) {
                guard let entry = git_tree_entry_byindex(folder, i) else { continue }
                out.append(
                    SourceEntry(
                        name: String(cString: git_tree_entry_name(entry)),
                        isDirectory: git_tree_entry_type(entry) == GIT_OBJECT_TREE))
            }
            return out.sorted { $0.name < $1.name }
        }
    }

    /// The paths that differ between two commits (both sides of renames); every path when `from` is nil.
    package func changedPaths(from: String?, to: String) throws(GitError) -> [String] {
        var toOID = try OID.parse(to)
        var fromOID = try from.map { sha throws(GitError) in try OID.parse(sha) }
        return try locked { repo throws(GitError) in
            func tree(_ oid: inout git_oid) throws(GitError) -> OpaquePointer? {
                var commit: OpaquePointer?
                try check("read commit", git_commit_lookup(&commit, repo, &oid))
                defer { git_commit_free(commit) }
                var tree: OpaquePointer?
                try check("read tree", git_commit_tree(&tree, commit))
                return tree
            }
            let newTree = try tree(&toOID)
            defer { git_tree_free(newTree) }
            var oldTree: OpaquePointer?
            if fromOID != nil { oldTree = try tree(&fromOID!) }
            defer { if oldTree != nil { git_tree_free(oldTree) } }
            var diff: OpaquePointer?
            try check("diff \(from ?? "empty")..\(to)", git_diff_tree_to_tree(&diff, repo, oldTree, newTree, nil))
            defer { git_diff_free(diff) }
            var paths = Set<String>()
            for i in 0..<git_diff_num_deltas(diff) {
                guard let delta = git_diff_get_delta(diff, i) else { continue }
                if let p = delta.pointee.old_file.path { paths.insert(String(cString: p)) }
                if let p = delta.pointee.new_file.path { paths.insert(String(cString: p)) }
            }
            return paths.sorted()
        }
    }
}
