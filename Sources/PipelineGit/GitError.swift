import CLibGit2
import PipelineCore

/// A libgit2 failure: what was attempted, libgit2's message and class, read right after the failing call.
package struct GitError: Error, Sendable, CustomStringConvertible {
    /// What failed, in words.
    package var operation: String
    /// libgit2's message (or our explanation).
    package var message: String
    /// libgit2's return code.
    package var code: Int32

    package init(operation: String, message: String, code: Int32) {
        self.operation = operation
        self.message = message
        self.code = code
    }

    /// Builds an error from libgit2's last error; call immediately after the failing call.
    static func last(_ operation: String, code: Int32) -> GitError {
        var message = "unknown libgit2 error"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        }
        if message.contains("safe.directory") || message.contains("not owned by current user") {
            message =
                "the repository is owned by another user, and libgit2 refuses to open it "
                + "(libgit2 calls this 'safe.directory'). Run pipeline as the repository's owner, or add it with "
                + "`git config --global --add safe.directory PATH`. libgit2 said: \(message)"
        }
        return GitError(operation: operation, message: message, code: code)
    }

    /// True when the failure means "not found" (an unknown ref, sha or path).
    package var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    package var description: String { "\(operation): \(message)" }

    /// The error as the engine reports it (not found → exit 2).
    package var pipelineError: PipelineError {
        PipelineError(isNotFound ? .notFound : .io, description)
    }
}

/// Runs a libgit2 call and throws `GitError` when it returns a negative code.
@discardableResult
func check(_ operation: @autoclosure () -> String, _ result: Int32) throws(GitError) -> Int32 {
    guard result >= 0 else { throw GitError.last(operation(), code: result) }
    return result
}
