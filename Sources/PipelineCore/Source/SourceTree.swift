import Foundation

/// The files of the commit being deployed, read-only. The engine never reads the work tree directly.
public protocol SourceTree: Sendable {
    /// A description for messages, e.g. `repo@abc1234`.
    var description: String { get }
    /// The contents of a file; throws `PipelineError` with code `.notFound` when it is missing.
    func readFile(_ path: String) throws -> Data
    /// The entries of a folder (names only, sorted).
    func listDirectory(_ path: String) throws -> [SourceEntry]
    /// The file mode bits (e.g. 0o755) of a file.
    func fileMode(_ path: String) throws -> Int
}

/// One entry of a folder.
public struct SourceEntry: Sendable, Hashable {
    /// The entry's name.
    public var name: String
    /// Whether it is a folder.
    public var isDirectory: Bool
    /// An entry.
    public init(name: String, isDirectory: Bool) {
        self.name = name
        self.isDirectory = isDirectory
    }
}

extension SourceTree {
    /// A file's text as UTF-8.
    public func readText(_ path: String) throws -> String {
        let data = try readFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError(.invalidInput, "\(path) is not UTF-8 text")
        }
        return text
    }
}

/// A source tree over a plain folder, for pipelines that are not in git (`pipeline validate FILE`,
/// tests). Paths may not leave the folder.
public struct DirectorySourceTree: SourceTree {
    /// The folder.
    public let root: URL

    /// The files under a folder.
    public init(root: URL) { self.root = root.standardizedFileURL }

    /// The folder's path.
    public var description: String { root.path }

    /// The file's URL; throws when the path, or a symbolic link on the way, leads outside the folder.
    private func resolve(_ path: String) throws -> URL {
        let url = root.appendingPathComponent(path).standardizedFileURL
        guard url.path == root.path || url.path.hasPrefix(root.path + "/") else {
            throw PipelineError(.invalidInput, "path \(path) leaves the repository")
        }
        let real = url.resolvingSymlinksInPath().path
        let realRoot = root.resolvingSymlinksInPath().path
        guard real == realRoot || real.hasPrefix(realRoot + "/") else {
            throw PipelineError(
                .invalidInput, "path \(path) is a symbolic link that leaves the repository (to \(real))")
        }
        return url
    }

    /// A file's bytes; refuses paths that leave the folder.
    public func readFile(_ path: String) throws -> Data {
        let url = try resolve(path)
        do { return try Data(contentsOf: url) } catch {
            throw PipelineError(.notFound, "cannot read \(path) in \(root.path): no such file")
        }
    }

    /// A folder's entries, sorted.
    public func listDirectory(_ path: String) throws -> [SourceEntry] {
        let url = try resolve(path)
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            return names.map { name in
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDir)
                return SourceEntry(name: name, isDirectory: isDir.boolValue)
            }
        } catch {
            throw PipelineError(.notFound, "cannot list \(path) in \(root.path)")
        }
    }

    /// A file's permission bits.
    public func fileMode(_ path: String) throws -> Int {
        let url = try resolve(path)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? Int) ?? 0o644
    }
}
