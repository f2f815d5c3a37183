/// A Swift type an `Input` can hold: how it reads from a `with:` value and how its default prints.
public protocol InputConvertible: Sendable {
    /// The kind of `with:` value it takes (for load-time checks, docs and the JSON Schema).
    static var inputType: StageInputSpec.ValueType { get }
    /// Reads a (non-null) `with:` value; throws `InputConversionError` when it does not fit.
    init(input: InputValue) throws
    /// The value as pipelines write it, for defaults in docs and schemas; nil when there is none.
    static func describe(_ value: Self) -> String?
}

/// Why a `with:` value does not fit an input's type.
public struct InputConversionError: Error, Sendable {
    /// For people, e.g. "expected an integer, got a list".
    public var message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
}

extension InputConvertible {
    /// Checks `input` against the declared type as the load-time check does.
    static func checked(_ input: InputValue) throws {
        let spec = StageInputSpec("", inputType, "")
        if let message = spec.check(input) { throw InputConversionError(message) }
    }
}

extension String: InputConvertible {
    /// A string.
    public static var inputType: StageInputSpec.ValueType { .string }
    /// Reads a scalar as text.
    public init(input: InputValue) throws {
        guard let s = input.scalarString else { throw InputConversionError("expected a string, got \(input.typeName)") }
        self = s
    }
    /// Backquoted, as in the docs.
    public static func describe(_ value: String) -> String? { "`\(value)`" }
}

extension Int: InputConvertible {
    /// An integer.
    public static var inputType: StageInputSpec.ValueType { .integer }
    /// Reads a whole number (or a string of one).
    public init(input: InputValue) throws {
        try Self.checked(input)
        let n: Double? =
            switch input {
            case .number(let n): n
            case .string(let s): Double(s)
            default: nil
            }
        guard let n, n.rounded() == n, abs(n) < 1e15 else {
            throw InputConversionError("expected an integer, got \(input.typeName)")
        }
        self = Int(n)
    }
    /// The number.
    public static func describe(_ value: Int) -> String? { "\(value)" }
}

extension Double: InputConvertible {
    /// A number.
    public static var inputType: StageInputSpec.ValueType { .number }
    /// Reads a number (or a string of one).
    public init(input: InputValue) throws {
        switch input {
        case .number(let n): self = n
        case .string(let s) where Double(s) != nil: self = Double(s)!
        default: throw InputConversionError("expected a number, got \(input.typeName)")
        }
    }
    /// The number.
    public static func describe(_ value: Double) -> String? { OutputValue.number(value).description }
}

extension Bool: InputConvertible {
    /// A boolean.
    public static var inputType: StageInputSpec.ValueType { .bool }
    /// Reads true/false (or the strings "true"/"false").
    public init(input: InputValue) throws {
        switch input {
        case .bool(let b): self = b
        case .string("true"): self = true
        case .string("false"): self = false
        default: throw InputConversionError("expected true or false, got \(input.typeName)")
        }
    }
    /// `true` or `false`.
    public static func describe(_ value: Bool) -> String? { value ? "true" : "false" }
}

extension Duration: InputConvertible {
    /// A duration such as `30s`.
    public static var inputType: StageInputSpec.ValueType { .duration }
    /// Reads `30s`, `5m`, `1h` (or `0`).
    public init(input: InputValue) throws {
        switch input {
        case .number(0): self = .zero
        case .string(let s) where DurationFormat.parse(s) != nil: self = DurationFormat.parse(s)!
        default: throw InputConversionError("expected a duration like 30s or 5m")
        }
    }
    /// As pipelines write it, e.g. `15m`.
    public static func describe(_ value: Duration) -> String? {
        let ms = value.milliseconds
        if ms == 0 { return "0" }
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where ms % size == 0 {
            return "\(ms / size)\(unit)"
        }
        return "\(ms)ms"
    }
}

extension Array: InputConvertible where Element == String {
    /// A list of strings.
    public static var inputType: StageInputSpec.ValueType { .list }
    /// Reads a list of scalars; a single string counts as a list of one.
    public init(input: InputValue) throws {
        switch input {
        case .string(let s): self = [s]
        case .list(let items):
            self = try items.map {
                guard let s = $0.scalarString else { throw InputConversionError("expected a list of strings") }
                return s
            }
        default: throw InputConversionError("expected a list, got \(input.typeName)")
        }
    }
    /// The items, comma-separated; nil when empty.
    public static func describe(_ value: [String]) -> String? {
        value.isEmpty ? nil : value.joined(separator: ", ")
    }
}

extension Dictionary: InputConvertible where Key == String, Value == String {
    /// A map of strings.
    public static var inputType: StageInputSpec.ValueType { .map }
    /// Reads a map whose values are scalars.
    public init(input: InputValue) throws {
        guard case .map(let m) = input else { throw InputConversionError("expected a map, got \(input.typeName)") }
        self = try m.mapValues {
            guard let s = $0.scalarString else { throw InputConversionError("expected a map of strings") }
            return s
        }
    }
    /// Nil: maps have no printable default.
    public static func describe(_ value: [String: String]) -> String? { nil }
}

extension InputValue: InputConvertible {
    /// Any value.
    public static var inputType: StageInputSpec.ValueType { .any }
    /// The value as written.
    public init(input: InputValue) throws { self = input }
    /// The scalar, if any.
    public static func describe(_ value: InputValue) -> String? { value == .null ? nil : value.scalarString }
}

extension Optional: InputConvertible where Wrapped: InputConvertible {
    /// The wrapped type's.
    public static var inputType: StageInputSpec.ValueType { Wrapped.inputType }
    /// Reads the wrapped type (a null is absent before it gets here).
    public init(input: InputValue) throws { self = try Wrapped(input: input) }
    /// Nil for nil.
    public static func describe(_ value: Wrapped?) -> String? { value.flatMap { Wrapped.describe($0) } }
}
