import Foundation

/// A source tree of files held in memory: for tests, and for a recovery whose run's repository is not
/// on this machine (it holds the pipeline file the run kept).
public struct InMemorySourceTree: SourceTree {
    /// The files by path.
    public var files: [String: Data]
    /// File modes by path (default 0o644).
    public var modes: [String: Int]

    /// What messages call it.
    public let description: String

    /// Files by path (with optional modes) and how the tree reads in messages.
    public init(files: [String: String] = [:], modes: [String: Int] = [:], description: String = "memory") {
        self.files = files.mapValues { Data($0.utf8) }
        self.modes = modes
        self.description = description
    }

    /// A file's bytes.
    public func readFile(_ path: String) throws -> Data {
        guard let data = files[path] else { throw PipelineError(.notFound, "no file \(path)") }
        return data
    }

    /// A folder's entries, sorted.
    public func listDirectory(_ path: String) throws -> [SourceEntry] {
        let prefix = path.isEmpty ? "" : path + "/"
        var entries: [String: Bool] = [:]
        for key in files.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                entries[String(rest[..<slash])] = true
            } else {
                entries[String(rest)] = entries[String(rest)] ?? false
            }
        }
        guard !entries.isEmpty else { throw PipelineError(.notFound, "no folder \(path)") }
        return entries.keys.sorted().map { SourceEntry(name: $0, isDirectory: entries[$0]!) }
    }

    /// A file's mode (0o644 unless given).
    public func fileMode(_ path: String) throws -> Int { modes[path] ?? 0o644 }
}
