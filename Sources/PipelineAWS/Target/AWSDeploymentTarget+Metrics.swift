import Foundation
import PipelineCore

extension AWSDeploymentTarget {
    /// GetMetricData over the last `window`: one-minute periods (ten-second ones for a shorter window),
    /// folded into one value by the statistic (a sum of sums, the mean of averages, the extreme of
    /// extremes; a percentile as its highest period).
    package func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double? {
        let seconds = max(10, Int(window.seconds.rounded(.up)))
        let period = seconds >= 60 ? 60 : (seconds / 10) * 10
        let end = Date()
        let request = CloudWatch.MetricQuery(
            id: "q", namespace: query.namespace, metric: query.metric,
            dimensions: query.dimensions.keys.sorted().map { .init(Name: $0, Value: query.dimensions[$0]!) },
            period: period, stat: query.statistic)
        let results = try await cloudWatch.getMetricData(
            [request], start: end.addingTimeInterval(-Double(seconds)), end: end)
        let values = results.flatMap { $0.Values ?? [] }
        guard !values.isEmpty else { return nil }
        switch query.statistic {
        case "Sum", "SampleCount": return values.reduce(0, +)
        case "Average": return values.reduce(0, +) / Double(values.count)
        case "Minimum": return values.min()
        default: return values.max()
        }
    }
}
