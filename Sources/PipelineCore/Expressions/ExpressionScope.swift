/// Why an expression could not be evaluated.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// The names an expression may read while a run is under way.
public struct ExpressionScope: Sendable {
    /// The commit being deployed.
    public var commit: CommitInfo
    /// The pipeline's name.
    public var pipelineName: String
    /// The run's id.
    public var runID: String
    /// The process environment.
    public var environment: [String: String]
    /// Outputs of the stages that have run, by stage id.
    public var outputs: [String: StageOutputs]
    /// The pipeline's target settings.
    public var target: TargetConfig

    /// A scope: the commit, pipeline, run, environment, earlier outputs and target.
    public init(
        commit: CommitInfo, pipelineName: String, runID: String, environment: [String: String],
        outputs: [String: StageOutputs] = [:], target: TargetConfig
    ) {
        self.commit = commit
        self.pipelineName = pipelineName
        self.runID = runID
        self.environment = environment
        self.outputs = outputs
        self.target = target
    }

    /// Evaluates one expression.
    public func evaluate(_ expression: Expression) throws(ExpressionError) -> InputValue {
        switch expression {
        case .literal(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .or(let left, let right):
            if let value = try? lookup(left), !value.isEmptyOrNull { return value }
            return try evaluate(right)
        case .path:
            let value = try lookup(expression)
            return value
        }
    }

    private func lookup(_ expression: Expression) throws(ExpressionError) -> InputValue {
        guard case .path(let p) = expression else { return try evaluate(expression) }
        switch p.first {
        case "commit" where p.count == 2:
            switch p[1] {
            case "sha": return .string(commit.sha)
            case "short_sha": return .string(commit.shortSHA)
            case "branch": return .string(commit.branch ?? "")
            case "message": return .string(commit.message)
            case "author": return .string(commit.author)
            default: break
            }
        case "pipeline" where p == ["pipeline", "name"]: return .string(pipelineName)
        case "run" where p == ["run", "id"]: return .string(runID)
        case "env" where p.count == 2:
            guard let value = environment[p[1]] else {
                throw ExpressionError("environment variable \(p[1]) is not set (write env.\(p[1]) || 'default')")
            }
            return .string(value)
        case "target" where p.count == 2:
            if let value = target.value(forKey: p[1]) { return value }
            throw ExpressionError("target.\(p[1]) is not set in the pipeline's target")
        case "stages" where p.count == 4 && p[2] == "outputs":
            guard let stageOutputs = outputs[p[1]] else {
                throw ExpressionError("stage '\(p[1])' has not produced outputs (it did not run or failed)")
            }
            guard let value = stageOutputs[p[3]] else {
                let known = stageOutputs.keys.sorted().joined(separator: ", ")
                throw ExpressionError(
                    "stage '\(p[1])' has no output '\(p[3])' (it has: \(known.isEmpty ? "none" : known))")
            }
            return value.inputValue
        default: break
        }
        throw ExpressionError("unknown name '\(p.joined(separator: "."))'")
    }

    /// The names an expression may start with, for messages.
    public static let knownNames =
        "commit.sha, commit.short_sha, commit.branch, commit.message, commit.author, pipeline.name, run.id, "
        + "env.NAME, target.KEY, stages.ID.outputs.KEY"

    /// Checks a dotted name without evaluating it; returns a message when it can never be valid.
    /// `earlierStages` maps the ids of stages that run before this point to their declared outputs
    /// (nil when the stage does not declare them).
    public static func check(_ path: [String], earlierStages: [String: [String]?], laterStages: Set<String>)
        -> String?
    {
        switch path.first {
        case "commit":
            let keys = ["sha", "short_sha", "branch", "message", "author"]
            if path.count == 2, keys.contains(path[1]) { return nil }
            return "unknown name '\(path.joined(separator: "."))' (commit has: \(keys.joined(separator: ", ")))"
        case "pipeline": return path == ["pipeline", "name"] ? nil : "unknown name '\(path.joined(separator: "."))'"
        case "run": return path == ["run", "id"] ? nil : "unknown name '\(path.joined(separator: "."))'"
        case "env", "target":
            return path.count == 2 ? nil : "expected \(path[0]).NAME, got '\(path.joined(separator: "."))'"
        case "stages":
            guard path.count == 4, path[2] == "outputs" else {
                return "expected stages.ID.outputs.KEY, got '\(path.joined(separator: "."))'"
            }
            if laterStages.contains(path[1]) {
                return "stage '\(path[1])' runs later; only outputs of earlier stages can be used"
            }
            guard let declared = earlierStages[path[1]] else {
                return "no stage with id '\(path[1])' runs before this one"
            }
            if let declared, !declared.isEmpty, !declared.contains(path[3]) {
                return "stage '\(path[1])' has no output '\(path[3])' (it has: \(declared.joined(separator: ", ")))"
            }
            return nil
        default:
            return "unknown name '\(path.joined(separator: "."))' (known: \(knownNames))"
        }
    }
}

extension InputValue {
    var isEmptyOrNull: Bool {
        switch self {
        case .null: return true
        case .string(let s): return s.isEmpty
        default: return false
        }
    }
}
