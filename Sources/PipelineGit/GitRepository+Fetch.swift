import CLibGit2
import Foundation

extension GitRepository {
    /// Opens (or creates) a bare mirror at `path` and fetches every branch of `url` into it
    /// (`+refs/heads/*:refs/heads/*`). `url` may be a path, `file://`, https or ssh. Blocking:
    /// call it off the cooperative thread pool.
    package static func fetchMirror(url: String, into path: String) throws(GitError) -> GitRepository {
        var repo: OpaquePointer?
        if !exists(at: path) {
            try check("create mirror \(path)", git_repository_init(&repo, path, 1))
            git_repository_free(repo)
        }
        let mirror = try open(path)
        // Relative paths would resolve against the process's folder: make them absolute file:// URLs.
        var remoteURL = url
        if !url.contains("://"), !url.contains("@"), !url.hasPrefix("/") {
            remoteURL = URL(fileURLWithPath: url).standardizedFileURL.path
        }
        try mirror.locked { handle throws(GitError) in
            var remote: OpaquePointer?
            try check("set up remote \(url)", git_remote_create_anonymous(&remote, handle, remoteURL))
            defer { git_remote_free(remote) }
            var options = git_fetch_options()
            try check("fetch options", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
            options.prune = GIT_FETCH_PRUNE
            let refspec = strdup("+refs/heads/*:refs/heads/*")
            defer { free(refspec) }
            var pointer: UnsafeMutablePointer<CChar>? = refspec
            try withUnsafeMutablePointer(to: &pointer) { strings throws(GitError) in
                var array = git_strarray(strings: strings, count: 1)
                try check("fetch \(url)", git_remote_fetch(remote, &array, &options, "pipeline watch"))
            }
        }
        return mirror
    }
}
