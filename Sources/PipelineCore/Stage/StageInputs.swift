/// The evaluated `with:` inputs of a step, with typed accessors that fail with the key's name.
public struct StageInputs: Sendable, Hashable {
    /// Every input by key.
    public var values: [String: InputValue]

    /// Inputs by key.
    public init(_ values: [String: InputValue] = [:]) { self.values = values }

    /// The raw value of a key.
    public subscript(key: String) -> InputValue? { values[key] }

    /// A string input; nil when absent.
    public func string(_ key: String) throws -> String? {
        guard let v = values[key], v != .null else { return nil }
        guard let s = v.scalarString else { throw invalid(key, "expected a string, got \(v.typeName)") }
        return s
    }

    /// A required string input.
    public func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw invalid(key, "is required") }
        return s
    }

    /// A number input; nil when absent.
    public func number(_ key: String) throws -> Double? {
        switch values[key] {
        case nil, .null?: return nil
        case .number(let n)?: return n
        case .string(let s)?: if let n = Double(s) { return n }
        default: break
        }
        throw invalid(key, "expected a number, got \(values[key]!.typeName)")
    }

    /// An integer input; nil when absent.
    public func int(_ key: String) throws -> Int? {
        guard let n = try number(key) else { return nil }
        guard n.rounded() == n, abs(n) < 1e15 else { throw invalid(key, "expected an integer, got \(n)") }
        return Int(n)
    }

    /// A boolean input; nil when absent.
    public func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string("true")?: return true
        case .string("false")?: return false
        default: throw invalid(key, "expected true or false, got \(values[key]!.typeName)")
        }
    }

    /// A duration input such as `30s`; nil when absent.
    public func duration(_ key: String) throws -> Duration? {
        switch values[key] {
        case nil, .null?: return nil
        case .number(0)?: return .zero
        case .string(let s)?: if let d = DurationFormat.parse(s) { return d }
        default: break
        }
        throw invalid(key, "expected a duration like 30s or 5m")
    }

    /// A list of strings; a single string counts as a list of one.
    public func stringList(_ key: String) throws -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let s)?: return [s]
        case .list(let items)?:
            return try items.map {
                guard let s = $0.scalarString else { throw invalid(key, "expected a list of strings") }
                return s
            }
        default: throw invalid(key, "expected a list of strings, got \(values[key]!.typeName)")
        }
    }

    /// A map of strings.
    public func stringMap(_ key: String) throws -> [String: String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .map(let m)?:
            return try m.mapValues {
                guard let s = $0.scalarString else { throw invalid(key, "expected a map of strings") }
                return s
            }
        default: throw invalid(key, "expected a map, got \(values[key]!.typeName)")
        }
    }

    private func invalid(_ key: String, _ message: String) -> PipelineError {
        PipelineError(.invalidInput, "with.\(key): \(message)")
    }
}
