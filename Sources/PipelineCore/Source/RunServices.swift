import Foundation

/// Saves files into a run's `artifacts/` folder.
public protocol ArtifactSink: Sendable {
    /// Writes an artifact, replacing one of the same name.
    func save(_ name: String, data: Data) throws
    /// Reads an artifact of this run back.
    func load(_ name: String) throws -> Data?
}

/// Earlier runs of a pipeline, as stages need them (e.g. rollback's last succeeded run).
public protocol RunHistory: Sendable {
    /// The outputs of the newest `succeeded` run of a pipeline, by stage id; nil when there is none.
    func lastSucceededOutputs(pipeline: String) async throws -> [String: StageOutputs]?
}

/// A history with no runs.
public struct EmptyRunHistory: RunHistory {
    /// A history with no runs.
    public init() {}
    /// Always nil.
    public func lastSucceededOutputs(pipeline: String) async throws -> [String: StageOutputs]? { nil }
}
