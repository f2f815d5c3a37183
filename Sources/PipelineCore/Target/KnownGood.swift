import Foundation

/// The tags a revision carries once a run promoted it (or a rollback returned to it): the known-good
/// revision is read from the platform itself, so a machine without any run history still finds it.
public enum KnownGoodTags {
    /// When it was promoted (`2026-11-22T03:15:06.123Z`); the newest value marks the known-good revision.
    public static let promotedAt = "pipeline:promoted-at"
    /// The run that promoted it.
    public static let run = "pipeline:run"
    /// The commit it was built from.
    public static let commit = "pipeline:commit"
    /// When a rollback took the service off it: a promotion older than this does not count.
    public static let rolledBackAt = "pipeline:rolled-back-at"
}

/// A revision with its tags.
public struct TaggedRevision: Sendable, Hashable {
    /// Its ARN.
    public var arn: String
    /// Its revision number.
    public var revision: Int
    /// Its tags.
    public var tags: [String: String]
    /// A tagged revision.
    public init(arn: String, revision: Int, tags: [String: String]) {
        self.arn = arn
        self.revision = revision
        self.tags = tags
    }
}

extension DeploymentTarget {
    /// Unsupported by this target: promote logs that it could not mark the revision.
    public func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws {
        throw StageFailure("\(description) cannot tag task definitions")
    }

    /// None: this target keeps no tags.
    public func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision] { [] }
}
