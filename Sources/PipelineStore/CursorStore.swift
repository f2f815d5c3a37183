import Foundation
import PipelineCore

/// What `pipeline watch` has seen, so a restart neither misses nor repeats a commit: the last commit
/// seen per branch, and the last commit each pipeline ran for.
package struct Cursors: Codable, Sendable, Hashable {
    /// Branch → last commit seen.
    package var branches: [String: String] = [:]
    /// `pipeline@branch` → last commit the pipeline ran (or was decided) for.
    package var pipelines: [String: String] = [:]
    package init() {}

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()
}

/// Watch's cursors in a state folder: `<state>/watch/<repository>.json`, read-modify-written under a
/// file lock so that several watch processes on this machine keep each other's changes.
package struct CursorStore: CursorStorage {
    /// The file.
    package let path: String

    /// The cursors of a store (one file per watched repository).
    package init(store: RunStore, repositoryKey: String) throws {
        let folder = "\(store.root)/watch"
        try Posix.makeDirectory(folder)
        path = "\(folder)/\(cursorFileName(repositoryKey)).json"
    }

    /// The saved cursors (empty when there are none yet).
    package func load() throws -> Cursors {
        guard let data = FileManager.default.contents(atPath: path) else { return Cursors() }
        do { return try JSONDecoder().decode(Cursors.self, from: data) } catch {
            throw PipelineError(.corruptRecord, "watch cursors \(path) are corrupt: \(error)")
        }
    }

    /// Saves them whole (write, fsync, rename).
    package func save(_ cursors: Cursors) throws {
        try Posix.writeAtomically(try Cursors.encoder.encode(cursors), to: path)
    }

    private func update(_ change: (inout Cursors) -> Void) throws {
        let lock = try FileLock.lock(path + ".lock")
        defer { _ = lock }
        var cursors = try load()
        change(&cursors)
        try save(cursors)
    }

    package func setBranch(_ branch: String, head: String) async throws {
        try update { $0.branches[branch] = head }
    }

    package func setPipeline(_ key: String, commit: String) async throws {
        try update { $0.pipelines[key] = commit }
    }
}
