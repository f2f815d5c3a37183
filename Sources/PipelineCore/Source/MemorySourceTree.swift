import Foundation

/// A source tree held in memory: the files a recovery kept when the run's repository cannot be read.
public struct MemorySourceTree: SourceTree {
    let files: [String: Data]
    public let description: String

    public init(files: [String: Data], description: String) {
        self.files = files
        self.description = description
    }

    public func readFile(_ path: String) throws -> Data {
        guard let data = files[path] else { throw PipelineError(.notFound, "\(path) is not in \(description)") }
        return data
    }

    public func listDirectory(_ path: String) throws -> [SourceEntry] {
        let prefix = path.isEmpty || path == "." ? "" : path.hasSuffix("/") ? path : path + "/"
        var entries: [String: Bool] = [:]
        for name in files.keys where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                entries[String(rest[..<slash])] = true
            } else {
                entries[String(rest)] = entries[String(rest)] ?? false
            }
        }
        return entries.keys.sorted().map { SourceEntry(name: $0, isDirectory: entries[$0]!) }
    }

    public func fileMode(_ path: String) throws -> Int {
        _ = try readFile(path)
        return 0o644
    }
}
