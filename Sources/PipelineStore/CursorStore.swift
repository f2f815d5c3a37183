import Foundation
import PipelineCore

/// What `pipeline watch` has seen, kept in `<state>/watch/cursors.json` so a restart neither misses
/// nor repeats a commit: the last commit seen per branch, and the last commit each pipeline ran for.
package struct Cursors: Codable, Sendable, Hashable {
    /// Branch → last commit seen.
    package var branches: [String: String] = [:]
    /// `pipeline@branch` → last commit the pipeline ran (or was decided) for.
    package var pipelines: [String: String] = [:]
    package init() {}
}

/// Reads and writes the cursors file atomically.
package struct CursorStore: Sendable {
    /// The file.
    package let path: String

    /// The cursors of a store (one file per watched repository).
    package init(store: RunStore, repositoryKey: String) throws {
        let folder = "\(store.root)/watch"
        try Posix.makeDirectory(folder)
        let safe = repositoryKey.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        path = "\(folder)/\(String(safe).suffix(120)).json"
    }

    /// The saved cursors (empty when there are none yet).
    package func load() throws -> Cursors {
        guard let data = FileManager.default.contents(atPath: path) else { return Cursors() }
        do { return try JSONDecoder().decode(Cursors.self, from: data) } catch {
            throw PipelineError(.corruptRecord, "watch cursors \(path) are corrupt: \(error)")
        }
    }

    /// Saves them (write, fsync, rename).
    package func save(_ cursors: Cursors) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Posix.writeAtomically(try encoder.encode(cursors), to: path)
    }
}
