import Foundation
import Yams

/// A YAML or JSON document as a tree whose every node knows its line and column.
public struct LocatedValue: Sendable {
    /// The shape of a node.
    public indirect enum Kind: Sendable {
        /// A scalar; `plain` is false when it was quoted (so `"8080"` stays a string).
        case scalar(String, plain: Bool)
        case list([LocatedValue])
        /// A mapping in file order; keys carry their own locations.
        case map([(key: String, keyLocation: SourceLocation, value: LocatedValue)])
    }

    /// The node.
    public var kind: Kind
    /// Where it starts.
    public var location: SourceLocation

    /// Parses YAML (JSON is YAML too); throws `PipelineError` naming the file, line and column.
    /// Refuses, before parsing, a document over `maxBytes`, and YAML anchors and aliases (their expansion
    /// is how a small file exhausts memory); bounds the nodes and the depth while converting.
    public static func parse(yaml: String, file: String, maxBytes: Int = InputLimits.pipelineFileBytes) throws
        -> LocatedValue
    {
        let size = yaml.utf8.count
        guard size <= maxBytes else {
            throw PipelineError(
                .invalidPipeline, "\(file) is \(size) bytes; the limit is \(maxBytes) bytes",
                diagnostics: [
                    Diagnostic(
                        location: SourceLocation(file: file, line: 1, column: 1), path: "",
                        message: "file too large (\(size) bytes, at most \(maxBytes))")
                ])
        }
        if let found = AnchorScanner.firstAnchorOrAlias(in: yaml) {
            throw PipelineError(
                .invalidPipeline, "\(file): YAML anchors and aliases are not supported",
                diagnostics: [
                    Diagnostic(
                        location: SourceLocation(file: file, line: found.line, column: found.column), path: "",
                        message: found.alias
                            ? "YAML alias (*name): not supported; write the value out"
                            : "YAML anchor (&name): not supported; write the value out")
                ])
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            var found = diagnostic(error, file)
            // A tab where YAML wants indentation: say so, instead of the scanner's "cannot start any token".
            if let line = found.location?.line, line >= 1 {
                let text = yaml.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first ?? ""
                let indentation = text.prefix { $0 == " " || $0 == "\t" }
                if let tab = indentation.firstIndex(of: "\t") {
                    found = Diagnostic(
                        location: SourceLocation(
                            file: file, line: line, column: text.distance(from: text.startIndex, to: tab) + 1),
                        path: "", message: "a tab in the indentation: YAML indents with spaces only")
                }
            }
            throw PipelineError(.invalidPipeline, "\(file): not valid YAML", diagnostics: [found])
        } catch {
            throw PipelineError(.invalidPipeline, "\(file): not valid YAML: \(error)")
        }
        guard let node else {
            throw PipelineError(
                .invalidPipeline, "\(file) is empty",
                diagnostics: [
                    Diagnostic(
                        location: SourceLocation(file: file, line: 1, column: 1), path: "", message: "the file is empty"
                    )
                ])
        }
        var budget = InputLimits.documentNodes
        return try convert(node, file: file, depth: 0, budget: &budget)
    }

    private static func convert(_ node: Node, file: String, depth: Int, budget: inout Int) throws -> LocatedValue {
        guard depth < InputLimits.documentDepth else {
            throw PipelineError(
                .invalidPipeline, "\(file): nested more than \(InputLimits.documentDepth) levels deep")
        }
        budget -= 1
        guard budget >= 0 else {
            throw PipelineError(
                .invalidPipeline, "\(file): more than \(InputLimits.documentNodes) values in one document")
        }
        let location = SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        switch node {
        case .scalar(let scalar):
            return LocatedValue(kind: .scalar(scalar.string, plain: scalar.style == .plain), location: location)
        case .sequence(let sequence):
            return LocatedValue(
                kind: .list(try sequence.map { try convert($0, file: file, depth: depth + 1, budget: &budget) }),
                location: location)
        case .mapping(let mapping):
            var pairs: [(key: String, keyLocation: SourceLocation, value: LocatedValue)] = []
            var seen: [String: SourceLocation] = [:]
            for (key, value) in mapping {
                let keyLocation = SourceLocation(
                    file: file, line: key.mark?.line ?? location.line, column: key.mark?.column ?? location.column)
                guard case .scalar(let keyScalar) = key else {
                    throw PipelineError(
                        .invalidPipeline, "\(file): a mapping key must be a plain value",
                        diagnostics: [Diagnostic(location: keyLocation, path: "", message: "complex mapping key")])
                }
                if let first = seen[keyScalar.string] {
                    throw PipelineError(
                        .invalidPipeline, "\(file): duplicate key",
                        diagnostics: [
                            Diagnostic(
                                location: keyLocation, path: keyScalar.string,
                                message: "duplicate key (first at line \(first.line))")
                        ])
                }
                seen[keyScalar.string] = keyLocation
                pairs.append(
                    (keyScalar.string, keyLocation, try convert(value, file: file, depth: depth + 1, budget: &budget)))
            }
            return LocatedValue(kind: .map(pairs), location: location)
        case .alias:
            throw PipelineError(
                .invalidPipeline, "\(file): YAML aliases are not supported",
                diagnostics: [Diagnostic(location: location, path: "", message: "alias")])
        }
    }

    private static func diagnostic(_ error: YamlError, _ file: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic(
                location: SourceLocation(file: file, line: mark.line, column: mark.column), path: "", message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                location: SourceLocation(file: file, line: context.mark.line, column: context.mark.column), path: "",
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return Diagnostic(location: nil, path: "", message: "\(error)")
        }
    }

    /// A typed reading of a scalar: bool, number, null, or string.
    public var scalarValue: InputValue? {
        guard case .scalar(let s, let plain) = kind else { return nil }
        guard plain else { return .string(s) }
        switch s {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let n = Double(s), s.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true, !s.hasSuffix(".") {
            return .number(n)
        }
        return .string(s)
    }

    /// The plain value without locations.
    public var plainValue: InputValue {
        switch kind {
        case .scalar: return scalarValue ?? .null
        case .list(let items): return .list(items.map(\.plainValue))
        case .map(let pairs):
            var out: [String: InputValue] = [:]
            for pair in pairs { out[pair.key] = pair.value.plainValue }
            return .map(out)
        }
    }

    /// A short name of the node's type for messages.
    public var typeName: String {
        switch kind {
        case .scalar: return scalarValue?.typeName ?? "a scalar"
        case .list: return "a list"
        case .map: return "a map"
        }
    }
}

extension LocatedValue {
    /// Where a key path such as `target.alarms[0].comparison_operator` is in the document: the value's
    /// location, else the nearest enclosing node's (a missing key points at its map).
    public func locate(_ path: String) -> SourceLocation {
        var node = self
        var found = location
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"),
                let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)])
            {
                indexes.insert(i, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty {
                guard case .map(let pairs) = node.kind, let pair = pairs.first(where: { $0.key == name }) else {
                    return found
                }
                node = pair.value
                found = pair.value.location
            }
            for i in indexes {
                guard case .list(let items) = node.kind, items.indices.contains(i) else { return found }
                node = items[i]
                found = node.location
            }
        }
        return found
    }
}
