/// A place in a file: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file's path as the user named it.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int

    /// A place in a file (1-based line and column).
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a pipeline file: where, which key, and what is wrong.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where the problem is.
    public var location: SourceLocation?
    /// The key path, e.g. `stages[2].with.bake_time`.
    public var path: String
    /// What is wrong and what was expected.
    public var message: String

    /// A problem at a place.
    public init(location: SourceLocation?, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// `file:line:column: path: message`.
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return path.isEmpty ? "\(prefix)\(message)" : "\(prefix)\(path): \(message)"
    }
}
