import CLibGit2
import Foundation

/// A commit's metadata.
package struct GitCommit: Sendable, Hashable {
    /// The full sha.
    package var sha: String
    /// The whole message.
    package var message: String
    /// `Name <email>`.
    package var author: String
    /// When it was authored.
    package var date: Date
    /// Parent shas.
    package var parents: [String]
}

/// An SSH or GPG signature of a commit, and the payload it signs.
package struct GitSignature: Sendable, Hashable {
    /// The armored signature.
    package var signature: String
    /// The commit content the signature covers.
    package var payload: String
}

enum OID {
    static func string(_ oid: UnsafePointer<git_oid>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, oid)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func parse(_ sha: String) throws(GitError) -> git_oid {
        var oid = git_oid()
        let result = git_oid_fromstr(&oid, sha)
        guard result == 0 else {
            throw GitError(operation: "parse sha \(sha)", message: "not a full 40-character sha", code: result)
        }
        return oid
    }
}
