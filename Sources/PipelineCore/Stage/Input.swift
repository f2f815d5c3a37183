/// One input a stage takes under `with:` (or a provider under `target:`): its key, type, default and
/// help in one declaration, as argument-parser's `@Option` is.
///
/// ```swift
/// struct Inputs: InputDeclarations {
///     let count = Input<Int>("desired_count", default: 1, help: "tasks to run", check: .atLeast(1))
///     let service = Input<String?>("canary_service", help: "the canary's name", defaultText: "`<service>-canary`")
/// }
/// ```
/// The descriptor, `pipeline stages`, the docs tables and the JSON Schema are generated from it, and
/// a stage reads its values with `try context.inputs(Inputs.self)`.
public struct Input<Value: InputConvertible>: Sendable {
    /// The key under `with:`.
    public let name: String
    /// One line for people.
    public let help: String
    /// The value used when the pipeline does not give the key; nil when the key is required.
    public let defaultValue: Value?
    /// How the default reads in docs when it is not a constant (e.g. "the registered one").
    public let defaultText: String?
    /// Extra checks on a given value; each returns a message when the value does not fit.
    public let checks: [InputCheck<Value>]

    /// An input with a constant default.
    public init(
        _ name: String, default value: Value, help: String, defaultText: String? = nil, check: InputCheck<Value>...
    ) {
        self.name = name
        self.help = help
        self.defaultValue = value
        self.defaultText = defaultText
        self.checks = check
    }

    /// An input the pipeline must give.
    public init(required name: String, help: String, check: InputCheck<Value>...) {
        self.name = name
        self.help = help
        self.defaultValue = nil
        self.defaultText = nil
        self.checks = check
    }

    /// Reads the input from evaluated `with:` values: the default when absent, an error naming the key
    /// when the value does not fit.
    public func read(from inputs: StageInputs) throws -> Value {
        guard let raw = inputs[name], raw != .null else {
            if let defaultValue { return defaultValue }
            throw InputDeclarationError.missing(name)
        }
        let value: Value
        do { value = try Value(input: raw) } catch let error as InputConversionError {
            throw InputDeclarationError.invalid(name, error.message)
        }
        for check in checks {
            if let message = check.test(value) { throw InputDeclarationError.invalid(name, message) }
        }
        return value
    }
}

extension Input where Value: ExpressibleByNilLiteral {
    /// An optional input: nil when the pipeline does not give it.
    public init(_ name: String, help: String, defaultText: String? = nil, check: InputCheck<Value>...) {
        self.name = name
        self.help = help
        self.defaultValue = nil as Value
        self.defaultText = defaultText
        self.checks = check
    }
}

/// A check on an input's value, beyond its type.
public struct InputCheck<Value: InputConvertible>: Sendable {
    /// What the docs say about it, e.g. "at least 1".
    public let summary: String
    /// Returns a message when the value does not fit.
    public let test: @Sendable (Value) -> String?

    /// A check with a summary for the docs and a test.
    public init(_ summary: String, _ test: @escaping @Sendable (Value) -> String?) {
        self.summary = summary
        self.test = test
    }
}

extension InputCheck where Value: Comparable & CustomStringConvertible & Sendable {
    /// At least `minimum`.
    public static func atLeast(_ minimum: Value) -> InputCheck {
        InputCheck("at least \(minimum)") { $0 < minimum ? "must be at least \(minimum), got \($0)" : nil }
    }

    /// Between `range.lowerBound` and `range.upperBound`.
    public static func within(_ range: ClosedRange<Value>) -> InputCheck {
        InputCheck("\(range.lowerBound)–\(range.upperBound)") {
            range.contains($0) ? nil : "must be between \(range.lowerBound) and \(range.upperBound), got \($0)"
        }
    }
}

extension InputCheck where Value == Int? {
    /// At least `minimum` when given.
    public static func atLeast(_ minimum: Int) -> InputCheck {
        InputCheck("at least \(minimum)") { value in
            guard let value, value < minimum else { return nil }
            return "must be at least \(minimum), got \(value)"
        }
    }
}

/// Why a declared input could not be read.
public enum InputDeclarationError: Error, Sendable {
    /// A required input is absent.
    case missing(String)
    /// The value does not fit: key and message.
    case invalid(String, String)

    /// As a `PipelineError` (invalid input, exit 2) naming `with.KEY`.
    public var pipelineError: PipelineError {
        switch self {
        case .missing(let key): return PipelineError(.invalidInput, "with.\(key): is required")
        case .invalid(let key, let message): return PipelineError(.invalidInput, "with.\(key): \(message)")
        }
    }
}

/// Type-erased view of an `Input`, for generating descriptors, docs and schemas.
public protocol AnyInput: Sendable {
    /// The key.
    var name: String { get }
    /// The generated spec (type, required, description).
    var spec: StageInputSpec { get }
    /// The input's JSON Schema.
    var jsonSchema: JSONValue { get }
    /// Reads and checks the value, discarding it.
    func validate(_ inputs: StageInputs) throws
}

extension Input: AnyInput {
    /// The generated spec.
    public var spec: StageInputSpec {
        var spec = StageInputSpec(name, Value.inputType, required: defaultValue == nil, help)
        spec.defaultText = defaultText ?? defaultValue.flatMap { Value.describe($0) }
        spec.constraints = checks.map(\.summary)
        return spec
    }

    /// The input's JSON Schema: its type, help and default.
    public var jsonSchema: JSONValue {
        var schema = Value.inputType.jsonSchema
        var description = help
        if let text = spec.defaultText { description += " (default \(text))" }
        if !checks.isEmpty { description += "; \(checks.map(\.summary).joined(separator: ", "))" }
        schema["description"] = .string(description)
        return .object(schema)
    }

    /// Reads and checks the value.
    public func validate(_ inputs: StageInputs) throws { _ = try read(from: inputs) }
}

extension InputCheck where Value == [String: String]? {
    /// A map that, when given, has every one of `keys`.
    public static func needs(_ keys: String...) -> InputCheck {
        InputCheck("needs \(keys.joined(separator: " and "))") { map in
            guard let map else { return nil }
            let missing = keys.filter { map[$0] == nil }
            return missing.isEmpty
                ? nil : "needs \(keys.joined(separator: " and ")) (missing \(missing.joined(separator: ", ")))"
        }
    }
}
