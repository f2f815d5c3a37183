import Foundation

/// A pipeline file, parsed and validated.
public struct Pipeline: Sendable {
    /// The pipeline's name (`name:`, else the file name without extension).
    public var name: String
    /// The file's path inside the repository, as it was read.
    public var file: String
    /// The push trigger, if the pipeline has one.
    public var push: PushTrigger?
    /// Where the pipeline deploys.
    public var target: TargetConfig
    /// The stages, in order.
    public var stages: [Step]
    /// The stages run when a stage fails, times out or the run is cancelled.
    public var onFailure: [Step]
    /// Where the run's events are sent (`notify:`).
    public var notify: [NotifyTarget] = []

    /// A pipeline.
    public init(
        name: String, file: String, push: PushTrigger? = nil, target: TargetConfig, stages: [Step],
        onFailure: [Step] = []
    ) {
        self.name = name
        self.file = file
        self.push = push
        self.target = target
        self.stages = stages
        self.onFailure = onFailure
    }
}

/// `on.push`: which commits start the pipeline.
public struct PushTrigger: Sendable, Hashable {
    /// Branch globs.
    public var branches: [String]
    /// Path globs; nil means any change.
    public var paths: [String]?
    /// When several commits queue, run only the newest (default true).
    public var coalesce: Bool
    /// The allowed-signers file for signed commits, if verification is on.
    public var allowedSigners: String?

    /// A push trigger.
    public init(branches: [String], paths: [String]? = nil, coalesce: Bool = true, allowedSigners: String? = nil) {
        self.branches = branches
        self.paths = paths
        self.coalesce = coalesce
        self.allowedSigners = allowedSigners
    }
}

/// One entry of `stages:` or `on_failure:`.
public struct Step: Sendable {
    /// The stage's id (`id:`, else the `uses:` name).
    public var id: String
    /// The stage it runs.
    public var uses: String
    /// How long the stage may run.
    public var timeout: Duration?
    /// The inputs, unevaluated.
    public var with: [String: TemplateNode]
    /// Extra environment for executable plugins.
    public var env: [String: TemplateNode]
    /// Whether executable plugins receive the AWS credentials.
    public var passAWSCredentials: Bool
    /// Where the step starts in the file.
    public var location: SourceLocation?

    /// A step.
    public init(
        id: String, uses: String, timeout: Duration? = nil, with: [String: TemplateNode] = [:],
        env: [String: TemplateNode] = [:], passAWSCredentials: Bool = false, location: SourceLocation? = nil
    ) {
        self.id = id
        self.uses = uses
        self.timeout = timeout
        self.with = with
        self.env = env
        self.passAWSCredentials = passAWSCredentials
        self.location = location
    }
}

/// A value under `with:` before evaluation, with where it was written.
public struct TemplateNode: Sendable {
    /// The shape of the value.
    public indirect enum Kind: Sendable {
        case string(Template)
        case number(Double)
        case bool(Bool)
        case list([TemplateNode])
        case map([String: TemplateNode])
        case null
    }

    /// The value.
    public var kind: Kind
    /// Where it was written.
    public var location: SourceLocation?

    /// A template node.
    public init(_ kind: Kind, location: SourceLocation? = nil) {
        self.kind = kind
        self.location = location
    }

    /// A literal string node (no expressions are parsed).
    public static func literal(_ s: String) -> TemplateNode {
        TemplateNode(.string(Template(literal: s)))
    }

    /// Evaluates every expression in the value.
    public func evaluate(in scope: ExpressionScope) throws(ExpressionError) -> InputValue {
        switch kind {
        case .string(let t): return try t.evaluate(in: scope)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .list(let items):
            var out: [InputValue] = []
            for item in items { out.append(try item.evaluate(in: scope)) }
            return .list(out)
        case .map(let m):
            var out: [String: InputValue] = [:]
            for (k, v) in m { out[k] = try v.evaluate(in: scope) }
            return .map(out)
        }
    }

    /// The value when it holds no expressions; nil otherwise.
    public var literalValue: InputValue? {
        switch kind {
        case .string(let t): return t.hasExpressions ? nil : .string(t.raw)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .list(let items):
            var out: [InputValue] = []
            for item in items {
                guard let v = item.literalValue else { return nil }
                out.append(v)
            }
            return .list(out)
        case .map(let m):
            var out: [String: InputValue] = [:]
            for (k, v) in m {
                guard let lv = v.literalValue else { return nil }
                out[k] = lv
            }
            return .map(out)
        }
    }

    /// Every template in the value with its location, depth first.
    public func templates(path: String) -> [(Template, String, SourceLocation?)] {
        switch kind {
        case .string(let t): return [(t, path, location)]
        case .number, .bool, .null: return []
        case .list(let items):
            return items.enumerated().flatMap { $0.element.templates(path: "\(path)[\($0.offset)]") }
        case .map(let m):
            return m.keys.sorted().flatMap { m[$0]!.templates(path: "\(path).\($0)") }
        }
    }
}
