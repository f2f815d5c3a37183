import Foundation

/// One metric as the platform aggregates it, in CloudWatch's vocabulary.
public struct MetricQuerySpec: Sendable, Hashable, Codable {
    /// `AWS/ApplicationELB`, … (the local provider has one namespace and ignores it).
    public var namespace: String
    /// `HTTPCode_Target_5XX_Count`, `RequestCount`, `TargetResponseTime`, …
    public var metric: String
    /// Name → value (`TargetGroup`, `LoadBalancer`; on the local provider `service` and `listener`).
    public var dimensions: [String: String]
    /// `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount`, `p99`, …
    public var statistic: String

    /// A query.
    public init(namespace: String, metric: String, dimensions: [String: String], statistic: String) {
        self.namespace = namespace
        self.metric = metric
        self.dimensions = dimensions
        self.statistic = statistic
    }

    /// `HTTPCode_Target_5XX_Count Sum {TargetGroup=…}` for messages.
    public var description: String {
        let dims = dimensions.keys.sorted().map { "\($0)=\(dimensions[$0]!)" }.joined(separator: ", ")
        return "\(metric) \(statistic)\(dims.isEmpty ? "" : " {\(dims)}")"
    }
}

extension DeploymentTarget {
    /// Unsupported: this target has no metrics to query.
    public func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        throw StageFailure("\(description) has no metrics to query")
    }
}
