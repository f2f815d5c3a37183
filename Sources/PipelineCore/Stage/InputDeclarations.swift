/// A stage's (or provider's) inputs: a struct of `Input` properties, read by reflection in
/// declaration order. The one place an input's name, type, default and help are written.
public protocol InputDeclarations: Sendable {
    /// Creates the declarations; must have no side effects.
    init()
}

extension InputDeclarations {
    /// Every declared input, in declaration order.
    public static var all: [any AnyInput] {
        Mirror(reflecting: Self()).children.compactMap { $0.value as? any AnyInput }
    }

    /// The generated specs, for a `StageDescriptor`.
    public static var specs: [StageInputSpec] { all.map(\.spec) }

    /// Reads and checks every declared input; throws `PipelineError(.invalidInput)` for the first that
    /// does not fit. With `complete: false` (before the run, when inputs that read earlier outputs are
    /// not known yet) a missing required input is not an error.
    public static func validate(_ inputs: StageInputs, complete: Bool = true) throws {
        for input in all where complete || inputs[input.name] != nil {
            do { try input.validate(inputs) } catch let error as InputDeclarationError { throw error.pipelineError }
        }
    }
}

/// The values of a stage's declared inputs for one run, read as `inputs.count` (checked once, up front).
@dynamicMemberLookup
public struct DeclaredInputs<Declarations: InputDeclarations>: Sendable {
    private let declarations = Declarations()
    /// The evaluated `with:` values they are read from.
    public let raw: StageInputs

    /// Reads `raw`, checking every declared input; throws `PipelineError(.invalidInput)` naming the key.
    public init(_ raw: StageInputs) throws {
        self.raw = raw
        try Declarations.validate(raw)
    }

    /// The value of one declared input (its default when the pipeline does not give it).
    public subscript<Value>(dynamicMember path: KeyPath<Declarations, Input<Value>>) -> Value {
        let input = declarations[keyPath: path]
        // Every input was read once in init; reading again cannot fail.
        guard let value = try? input.read(from: raw) else { preconditionFailure("input \(input.name) unchecked") }
        return value
    }
}

extension StageInputs {
    /// Reads a stage's declared inputs, checking each; throws `PipelineError(.invalidInput)` naming the key.
    public func declared<D: InputDeclarations>(_ type: D.Type) throws -> DeclaredInputs<D> {
        try DeclaredInputs(self)
    }
}

extension StageContext {
    /// This step's declared inputs, read and checked.
    public func inputs<D: InputDeclarations>(_ type: D.Type) throws -> DeclaredInputs<D> {
        try inputs.declared(type)
    }
}

/// The values of declared inputs known before the run, read as `inputs.count`: nil when the input reads
/// an earlier stage's output (or is required and absent), else the value or its default.
@dynamicMemberLookup
public struct KnownInputs<Declarations: InputDeclarations>: Sendable {
    private let declarations = Declarations()
    /// The values known before the run.
    public let raw: StageInputs

    /// Reads `raw`, checking every input it holds; throws `PipelineError(.invalidInput)` naming the key.
    public init(_ raw: StageInputs) throws {
        self.raw = raw
        try Declarations.validate(raw, complete: false)
    }

    /// The value of one declared input, if known.
    public subscript<Value>(dynamicMember path: KeyPath<Declarations, Input<Value>>) -> Value? {
        try? declarations[keyPath: path].read(from: raw)
    }

    /// The value of one optional declared input, if known and given.
    public subscript<Wrapped>(dynamicMember path: KeyPath<Declarations, Input<Wrapped?>>) -> Wrapped? {
        (try? declarations[keyPath: path].read(from: raw)) ?? nil
    }
}

extension PreflightContext {
    /// The declared inputs known before the run, checked.
    public func inputs<D: InputDeclarations>(_ type: D.Type) throws -> KnownInputs<D> {
        try KnownInputs(inputs)
    }
}

/// An empty set of inputs, for stages that take none.
public struct NoInputs: InputDeclarations {
    /// No inputs.
    public init() {}
}
