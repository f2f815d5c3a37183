/// A step of a pipeline: the protocol every built-in, Swift and executable stage conforms to.
///
/// The engine creates a stage with `init()`, then calls ``run(_:)`` once per attempt with a context
/// that holds the evaluated inputs, the target, the outputs of earlier stages, the commit, the run,
/// a logger that writes to this stage's log, and a clock.
///
/// A stage author must guarantee:
/// - **Idempotent on re-run.** Running the stage again for the same run and inputs (after a crash,
///   a retry, or a second `pipeline run` of the same commit) converges on the same state and does not
///   duplicate work: look up what exists before creating it.
/// - **Honours cancellation.** When the run is cancelled (Ctrl-C, SIGTERM, a timeout), the task is
///   cancelled: waits must use `context.sleep(for:)` or check `Task.isCancelled`, and the stage must
///   return or throw promptly, leaving nothing half-changed that `on_failure` cannot undo.
/// - **Never logs secrets.** Credentials, tokens and passwords never go to the logger, the outputs or
///   an error message. (The engine also masks known secret values, as a second line of defence.)
/// - **Reports through the engine.** A stage never writes the run record or prints to stdout itself:
///   it returns outputs, throws `StageFailure` with a message for people, and writes to its logger.
public protocol Stage: Sendable {
    /// The stage's name, summary, inputs and outputs.
    static var descriptor: StageDescriptor { get }

    /// Creates the stage; must be cheap and have no side effects.
    init()

    /// Runs the stage and returns its outputs, or throws to fail it.
    func run(_ context: StageContext) async throws -> StageOutputs

    /// Checks what can be checked before the run starts — inputs known up front and files of the
    /// commit — and throws `StageFailure` for bad input. Every stage's preflight runs before the
    /// first stage does, so bad input stops the run (exit 2) before anything is changed.
    static func preflight(_ check: PreflightContext) throws

    /// The alarms this step judges the deployment by, read from its inputs; nil when it watches none.
    /// The engine baselines them before the run's first change and fails the run on any transition to
    /// ALARM while new code takes traffic (see ``StageSafety``).
    static func watchedAlarms(_ inputs: StageInputs) throws -> AlarmWatchSpec?
}

extension Stage {
    /// No checks beyond the declared inputs.
    public static func preflight(_ check: PreflightContext) throws {}
    /// Watches no alarm.
    public static func watchedAlarms(_ inputs: StageInputs) throws -> AlarmWatchSpec? { nil }
}

/// Which alarms a step watches, and how the engine treats them before and during the run.
public struct AlarmWatchSpec: Sendable, Hashable {
    /// Alarm names.
    public var names: [String]
    /// Every alarm whose name starts with this.
    public var prefix: String?
    /// How long the run waits, before changing anything, for an alarm found in ALARM to clear.
    public var clearTimeout: Duration
    /// How often the engine looks at the alarms.
    public var pollInterval: Duration
    /// Alarms already in ALARM at the baseline are ignored (no wait) until they leave ALARM.
    public var ignoreAlreadyFiring: Bool

    /// A spec.
    public init(
        names: [String], prefix: String?, clearTimeout: Duration, pollInterval: Duration, ignoreAlreadyFiring: Bool
    ) {
        self.names = names
        self.prefix = prefix
        self.clearTimeout = clearTimeout
        self.pollInterval = pollInterval
        self.ignoreAlreadyFiring = ignoreAlreadyFiring
    }
}

/// What a stage does to the deployment target, for the engine's safety rules.
public struct StageSafety: Sendable, Hashable {
    /// Where new code starts or stops taking traffic.
    public enum Exposure: String, Sendable, Hashable {
        /// New code starts taking traffic here (canary-deploy): alarm transitions fail the run from here on.
        case opens
        /// New code takes all traffic once this ends (promote): the alarm guard ends with it.
        case closes
    }

    /// The stage changes the target (registers, deploys, scales, routes). The alarm baseline is taken
    /// before the first such stage; after a failure before any of them, `on_failure` stages that change
    /// the target are skipped (nothing to undo).
    public var changesTarget: Bool
    /// Its place in the window during which new code takes traffic.
    public var exposure: Exposure?
    /// How alarm findings name the moment new code started taking traffic here ("3s after the canary
    /// started"); nil says "stage ID".
    public var exposureLabel: String?

    /// A stage's safety.
    public init(changesTarget: Bool, exposure: Exposure? = nil, exposureLabel: String? = nil) {
        self.changesTarget = changesTarget
        self.exposure = exposure
        self.exposureLabel = exposureLabel
    }

    /// Reads only (or does nothing to the target).
    public static let readOnly = StageSafety(changesTarget: false)
    /// Changes the target.
    public static let changesTarget = StageSafety(changesTarget: true)
}

/// What a stage's preflight check sees.
public struct PreflightContext: Sendable {
    /// The step.
    public var step: StepInfo
    /// Inputs whose values are known before the run (those reading earlier stages' outputs are absent).
    public var inputs: StageInputs
    /// The files of the commit.
    public var source: any SourceTree
    /// Expressions without stage outputs.
    public var scope: ExpressionScope
    /// The pipeline's target.
    public var target: TargetConfig

    /// What a preflight check sees.
    public init(
        step: StepInfo, inputs: StageInputs, source: any SourceTree, scope: ExpressionScope, target: TargetConfig
    ) {
        self.step = step
        self.inputs = inputs
        self.source = source
        self.scope = scope
        self.target = target
    }
}

/// What a stage is and what it takes: its `uses:` name, summary, inputs and outputs.
public struct StageDescriptor: Sendable {
    /// The name pipelines write under `uses:`.
    public var name: String
    /// One line for `pipeline stages`.
    public var summary: String
    /// The inputs it accepts under `with:`; nil means any (no checking).
    public var inputs: [StageInputSpec]?
    /// The output keys it returns; empty when undeclared.
    public var outputs: [String]
    /// What it does to the target.
    public var safety: StageSafety
    /// Checks the declared inputs known before the run (types, ranges); nil for stages declared by spec.
    public var checkKnownInputs: (@Sendable (StageInputs) throws -> Void)?
    /// The stage calls `context.deploymentTarget()`: the engine makes the provider's target before the
    /// run starts (so that its errors stop the run before anything changes). A stage that does not say
    /// so still gets the target, made on first use.
    public var usesTarget: Bool

    /// A descriptor from input specs (executable plugins describe themselves this way).
    public init(
        name: String, summary: String, inputs: [StageInputSpec]? = [], outputs: [String] = [],
        safety: StageSafety = .readOnly, usesTarget: Bool = false
    ) {
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.safety = safety
        self.usesTarget = usesTarget || safety.changesTarget
    }

    /// A descriptor whose inputs and outputs are generated from their declarations.
    public init<I: InputDeclarations>(
        name: String, summary: String, inputs: I.Type, outputs: [OutputKey] = [], safety: StageSafety = .readOnly,
        usesTarget: Bool = false
    ) {
        self.init(
            name: name, summary: summary, inputs: I.specs, outputs: outputs.map(\.rawValue), safety: safety,
            usesTarget: usesTarget)
        self.checkKnownInputs = { try I.validate($0, complete: false) }
    }
}

/// The name of an output a stage returns; declared once, as a constant of the stage that produces it,
/// and used by every stage that reads it.
public struct OutputKey: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The key in the outputs map (and in `${{ stages.ID.outputs.KEY }}`).
    public var rawValue: String
    /// A key.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A key from a literal.
    public init(stringLiteral value: String) { rawValue = value }
    /// The key.
    public var description: String { rawValue }
}

/// One input a stage accepts.
public struct StageInputSpec: Sendable, Hashable {
    /// The kind of value an input takes.
    public enum ValueType: String, Sendable, Hashable, Codable {
        case string, number, integer, bool, duration, list, map, any
    }

    /// The key under `with:`.
    public var name: String
    /// The kind of value.
    public var type: ValueType
    /// Whether the pipeline must give it.
    public var required: Bool
    /// One line for people.
    public var description: String
    /// The default as the docs print it, if any.
    public var defaultText: String?
    /// Checks beyond the type, as the docs print them (e.g. "at least 1").
    public var constraints: [String] = []

    /// A spec.
    public init(_ name: String, _ type: ValueType, required: Bool = false, _ description: String) {
        self.name = name
        self.type = type
        self.required = required
        self.description = description
    }

    /// The description with the default and constraints, for `pipeline stages`.
    public var fullDescription: String {
        var text = description
        if let defaultText { text += " (default \(defaultText))" }
        if !constraints.isEmpty { text += "; \(constraints.joined(separator: ", "))" }
        return text
    }

    /// Checks a value against the type; returns a message when it does not fit.
    public func check(_ value: InputValue) -> String? {
        switch (type, value) {
        case (.any, _), (.string, .string), (.number, .number), (.bool, .bool), (.list, .list), (.map, .map):
            return nil
        case (.string, .number), (.string, .bool): return nil
        case (.integer, .number(let n)) where n.rounded() == n: return nil
        case (.integer, .string(let s)) where Int(s) != nil: return nil
        case (.integer, _): return "expected an integer, got \(value.typeName)"
        case (.duration, .string(let s)) where DurationFormat.parse(s) != nil: return nil
        case (.duration, .number(0)): return nil
        case (.duration, _): return "expected a duration like 30s or 5m, got \(describe(value))"
        case (.bool, .string(let s)) where ["true", "false"].contains(s): return nil
        case (.number, .string(let s)) where Double(s) != nil: return nil
        default: return "expected \(type.article), got \(value.typeName)"
        }
    }

    private func describe(_ value: InputValue) -> String {
        if let s = value.scalarString { return "'\(s)'" }
        return value.typeName
    }
}

extension StageInputSpec.ValueType {
    /// The JSON Schema keywords for the type.
    public var jsonSchema: [String: JSONValue] {
        switch self {
        case .string: return ["type": .array([.string("string"), .string("number"), .string("boolean")])]
        case .number: return ["type": .array([.string("number"), .string("string")])]
        case .integer: return ["type": .array([.string("integer"), .string("string")])]
        case .bool: return ["type": .array([.string("boolean"), .string("string")])]
        case .duration: return ["type": .array([.string("string"), .string("integer")])]
        case .list:
            return [
                "type": .array([.string("array"), .string("string")]), "items": .object(["type": .string("string")]),
            ]
        case .map: return ["type": .string("object")]
        case .any: return [:]
        }
    }

    var article: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .integer: return "an integer"
        case .bool: return "a boolean"
        case .duration: return "a duration"
        case .list: return "a list"
        case .map: return "a map"
        case .any: return "a value"
        }
    }
}
