import Foundation
import PipelineCore

/// The files of one commit, read through libgit2: what the engine deploys, whatever the work tree holds.
package struct GitSourceTree: SourceTree {
    /// The repository.
    package let repository: GitRepository
    /// The commit's full sha.
    package let sha: String

    package init(repository: GitRepository, sha: String) {
        self.repository = repository
        self.sha = sha
    }

    package var description: String { "\(repository.path)@\(sha.prefix(7))" }

    package func readFile(_ path: String) throws -> Data {
        do { return try repository.readFile(Self.clean(path), at: sha) } catch {
            throw error.isNotFound
                ? PipelineError(.notFound, "\(path) does not exist at commit \(sha.prefix(7))") : error.pipelineError
        }
    }

    package func listDirectory(_ path: String) throws -> [SourceEntry] {
        do { return try repository.listDirectory(Self.clean(path), at: sha) } catch {
            throw error.isNotFound
                ? PipelineError(.notFound, "folder \(path) does not exist at commit \(sha.prefix(7))")
                : error.pipelineError
        }
    }

    package func fileMode(_ path: String) throws -> Int {
        do { return try repository.fileMode(Self.clean(path), at: sha) & 0o777 } catch {
            throw error.isNotFound
                ? PipelineError(.notFound, "\(path) does not exist at commit \(sha.prefix(7))") : error.pipelineError
        }
    }

    static func clean(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.hasSuffix("/") { p.removeLast() }
        return p == "." ? "" : p
    }
}
