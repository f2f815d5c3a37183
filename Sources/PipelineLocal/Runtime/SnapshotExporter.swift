import Foundation
import PipelineCore

/// Writes the files of a source tree (for git, the commit read through libgit2) into a folder, keeping
/// executable bits: the local counterpart of building an image from the commit.
package enum SnapshotExporter {
    package static let skipped: Set<String> = [".git", ".pipeline"]

    /// Exports `tree` into `folder` (created); returns the number of files written.
    @discardableResult
    package static func export(_ tree: any SourceTree, to folder: URL) throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try copy(tree, "", into: folder)
    }

    static func copy(_ tree: any SourceTree, _ path: String, into folder: URL) throws -> Int {
        var count = 0
        for entry in try tree.listDirectory(path) where !skipped.contains(entry.name) {
            let child = path.isEmpty ? entry.name : "\(path)/\(entry.name)"
            let destination = folder.appendingPathComponent(child)
            if entry.isDirectory {
                try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
                count += try copy(tree, child, into: folder)
            } else {
                try tree.readFile(child).write(to: destination)
                let mode = (try? tree.fileMode(child)) ?? 0o644
                try FileManager.default.setAttributes(
                    [.posixPermissions: mode & 0o111 != 0 ? 0o755 : 0o644], ofItemAtPath: destination.path)
                count += 1
            }
        }
        return count
    }
}
