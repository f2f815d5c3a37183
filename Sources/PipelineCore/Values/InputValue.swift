/// A value given to a stage under `with:` after its expressions were evaluated.
public enum InputValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([InputValue])
    case map([String: InputValue])
    case null

    /// The value as a plain string when it is a scalar; numbers print without a trailing `.0`.
    public var scalarString: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return OutputValue.number(n).description
        case .bool(let b): return b ? "true" : "false"
        case .list, .map, .null: return nil
        }
    }

    /// A short name of the value's type, as used in error messages.
    public var typeName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .list: return "a list"
        case .map: return "a map"
        case .null: return "null"
        }
    }
}

extension InputValue: Codable {
    /// Reads any YAML/JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let l = try? container.decode([InputValue].self) {
            self = .list(l)
        } else {
            self = .map(try container.decode([String: InputValue].self))
        }
    }

    /// Writes the value as JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n): try container.encode(n)
        case .bool(let b): try container.encode(b)
        case .list(let l): try container.encode(l)
        case .map(let m): try container.encode(m)
        case .null: try container.encodeNil()
        }
    }
}

extension InputValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A number.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list.
    public init(arrayLiteral elements: InputValue...) { self = .list(elements) }
    /// A map.
    public init(dictionaryLiteral elements: (String, InputValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, new in new }))
    }
}
