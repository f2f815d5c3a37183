import Foundation

/// What an operator asks of a running run from outside its process — another terminal or another
/// machine sharing the state: approve or reject a waiting approval, abort the run, end a bake early.
public struct OperatorRequest: Sendable, Codable, Hashable {
    /// The kinds of request.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Lets a waiting `approval` stage go on.
        case approve
        /// Fails a waiting `approval` stage: `on_failure` runs.
        case reject
        /// Cancels the run as Ctrl-C does: its `on_failure` runs.
        case abort
        /// Ends the bake of the stage baking now (alarm-watch, traffic steps) as if its time were up.
        case skipBake = "skip-bake"
    }

    /// Unique per request; the engine's answer (a `operator_request` event) carries it.
    public var id: String
    /// What is asked.
    public var kind: Kind
    /// Who asks (`PIPELINE_ACTOR`, else the login name): what `approvers:` is matched against.
    public var by: String
    /// Where from: `user@host (pid N)`.
    public var from: String
    /// When it was asked.
    public var at: Date
    /// The operator's words, recorded with the request.
    public var comment: String?

    /// A request.
    public init(
        kind: Kind, by: String, from: String, comment: String? = nil, at: Date = Date(), id: String = UUID().uuidString
    ) {
        self.id = id
        self.kind = kind
        self.by = by
        self.from = from
        self.at = at
        self.comment = comment
    }

    /// `approve by alice: looks good`.
    public var summary: String {
        "\(kind.rawValue) by \(by)\(comment.map { ": \($0)" } ?? "")"
    }

    /// Who is asking: `PIPELINE_ACTOR` when set, else the login name (`USER`, `LOGNAME`).
    public static func actor(environment: [String: String]) -> String {
        for key in ["PIPELINE_ACTOR", "USER", "LOGNAME"] {
            if let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        return "unknown"
    }
}

/// How the engine answered a request.
public enum OperatorAnswer: String, Sendable, Codable {
    /// The run acted on it.
    case taken
    /// Nothing in the run could act on it (no approval waiting, no bake running, not an approver, run ended).
    case ignored
}
