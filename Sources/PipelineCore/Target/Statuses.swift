/// The platform's status words as types: open structs over their ECS, CloudWatch and Route 53
/// spellings, so a new value from the platform still reads and compares, and code names the ones it
/// knows instead of repeating string literals.
public protocol StatusValue: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
where RawValue == String {
    /// Wraps a raw value.
    init(rawValue: String)
}

extension StatusValue {
    /// From a literal.
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    /// The platform's spelling.
    public var description: String { rawValue }
    /// Decodes the platform's spelling.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }
    /// Encodes the platform's spelling.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A deployment's `status` in ECS.
public struct DeploymentStatus: StatusValue {
    /// `PRIMARY`, `ACTIVE`, …
    public var rawValue: String
    /// Wraps a raw value.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The newest deployment: what the service is moving to.
    public static let primary: Self = "PRIMARY"
    /// An older deployment still running tasks.
    public static let active: Self = "ACTIVE"
    /// A deployment with no tasks left.
    public static let inactive: Self = "INACTIVE"
}

/// A deployment's `rolloutState` in ECS.
public struct RolloutState: StatusValue {
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED`, …
    public var rawValue: String
    /// Wraps a raw value.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Tasks are being started or replaced.
    public static let inProgress: Self = "IN_PROGRESS"
    /// Every task of the deployment runs and is healthy (by ECS's judgement).
    public static let completed: Self = "COMPLETED"
    /// The deployment failed (circuit breaker, or the local scheduler's equivalent).
    public static let failed: Self = "FAILED"
}

/// A CloudWatch alarm's `StateValue`.
public struct AlarmStateValue: StatusValue {
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    public var rawValue: String
    /// Wraps a raw value.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The metric is within the threshold.
    public static let ok: Self = "OK"
    /// The metric breached the threshold.
    public static let alarm: Self = "ALARM"
    /// Not enough data to judge.
    public static let insufficientData: Self = "INSUFFICIENT_DATA"
}

/// A Route 53 change's `Status`.
public struct ChangeStatus: StatusValue {
    /// `PENDING` or `INSYNC`.
    public var rawValue: String
    /// Wraps a raw value.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Not yet on every Route 53 server.
    public static let pending: Self = "PENDING"
    /// On every Route 53 server.
    public static let inSync: Self = "INSYNC"
}
