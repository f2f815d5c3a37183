/// A value a stage returns as one of its outputs: a string, a number or a boolean.
public enum OutputValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)

    /// The value as an input to a later stage.
    public var inputValue: InputValue {
        switch self {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        }
    }
}

/// The outputs of one stage, by key.
public typealias StageOutputs = [String: OutputValue]

extension OutputValue: CustomStringConvertible {
    /// The value as text (numbers without a trailing `.0`).
    public var description: String {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
            return String(n)
        }
    }
}

extension OutputValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// A string output.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A number output.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A boolean output.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension OutputValue: Codable {
    /// Reads a JSON string, number or boolean.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Writes a JSON string, number or boolean.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .bool(let b): try container.encode(b)
        }
    }
}

extension Dictionary where Key == String, Value == OutputValue {
    /// Outputs from declared keys: `StageOutputs([Outputs.arn: .string(arn)])`.
    public init(_ pairs: KeyValuePairs<OutputKey, OutputValue>) {
        self.init(uniqueKeysWithValues: pairs.map { ($0.key.rawValue, $0.value) })
    }

    /// The value of a declared output key.
    public subscript(key: OutputKey) -> OutputValue? {
        get { self[key.rawValue] }
        set { self[key.rawValue] = newValue }
    }
}
