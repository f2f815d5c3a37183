import Foundation
import PipelineCore

/// `analysis:` checks of alarm-watch: metric queries with a threshold, including a comparison with a
/// baseline (the canary's 5xx rate against the main service's), so a canary can fail without an alarm
/// made beforehand. Each is judged at every look of the bake; a check without data in its window is
/// not judged (and said so once).
struct MetricCheck: Sendable {
    var name: String
    var query: MetricQuerySpec
    /// A second metric divided into the first (`per: RequestCount` makes a rate).
    var per: String?
    var window: Duration
    var max: Double?
    /// The same query with these dimensions instead (the main service), for `max_ratio`.
    var baseline: [String: String]?
    var maxRatio: Double?

    static let keys: Set<String> = [
        "name", "metric", "namespace", "statistic", "dimensions", "per", "window", "max", "baseline", "max_ratio",
    ]

    /// Reads `with.analysis` (a list of maps); the error names the entry and key.
    static func parse(_ value: InputValue?) throws -> [MetricCheck] {
        guard let value, value != .null else { return [] }
        guard case .list(let items) = value else { throw StageFailure("with.analysis: expected a list of checks") }
        return try items.enumerated().map { i, item in
            let at = "with.analysis[\(i)]"
            guard case .map(let m) = item else { throw StageFailure("\(at): expected a map") }
            if let unknown = m.keys.filter({ !keys.contains($0) }).sorted().first {
                throw StageFailure("\(at).\(unknown): unknown key; expected \(keys.sorted().joined(separator: ", "))")
            }
            func text(_ key: String) throws -> String? {
                guard let v = m[key], v != .null else { return nil }
                guard let s = v.scalarString, !s.isEmpty else { throw StageFailure("\(at).\(key): expected text") }
                return s
            }
            func number(_ key: String) throws -> Double? {
                guard let s = try text(key) else { return nil }
                guard let d = Double(s), d >= 0 else {
                    throw StageFailure("\(at).\(key): expected a number ≥ 0, got '\(s)'")
                }
                return d
            }
            func dims(_ key: String) throws -> [String: String]? {
                guard let v = m[key], v != .null else { return nil }
                guard case .map(let d) = v else {
                    throw StageFailure("\(at).\(key): expected a map of names to values")
                }
                return try d.mapValues {
                    guard let s = $0.scalarString else { throw StageFailure("\(at).\(key): values must be text") }
                    return s
                }
            }
            guard let metric = try text("metric") else { throw StageFailure("\(at).metric: required") }
            let window = try text("window").map { text -> Duration in
                guard let d = DurationFormat.parse(text), d >= .seconds(10) else {
                    throw StageFailure("\(at).window: expected a duration of at least 10s, got '\(text)'")
                }
                return d
            }
            let check = MetricCheck(
                name: try text("name") ?? metric,
                query: MetricQuerySpec(
                    namespace: try text("namespace") ?? "AWS/ApplicationELB", metric: metric,
                    dimensions: try dims("dimensions") ?? [:], statistic: try text("statistic") ?? "Sum"),
                per: try text("per"), window: window ?? .seconds(60), max: try number("max"),
                baseline: try dims("baseline"), maxRatio: try number("max_ratio"))
            if check.max == nil, check.maxRatio == nil {
                throw StageFailure("\(at): needs max (a threshold) and/or max_ratio with baseline")
            }
            if check.maxRatio != nil, check.baseline == nil {
                throw StageFailure("\(at).max_ratio: needs baseline (the dimensions to compare with)")
            }
            return check
        }
    }

    /// The checked value for some dimensions (a rate with `per`); nil without data.
    func value(_ target: any DeploymentTarget, dimensions: [String: String]) async throws -> Double? {
        var query = self.query
        query.dimensions = dimensions
        guard let value = try await target.metricValue(query, window: window) else { return nil }
        guard let per else { return value }
        query.metric = per
        query.statistic = "Sum"
        guard let total = try await target.metricValue(query, window: window), total > 0 else { return nil }
        return value / total
    }

    /// A failure message, or nil when the check holds (or has no data yet).
    func evaluate(_ target: any DeploymentTarget) async throws -> (failure: String?, judged: Bool) {
        guard let value = try await value(target, dimensions: query.dimensions) else { return (nil, false) }
        let what = "\(query.description)\(per.map { " per \($0)" } ?? "") over \(DurationFormat.format(window))"
        if let max, value > max {
            return ("analysis \(name): \(Self.format(value)) > max \(Self.format(max)) (\(what))", true)
        }
        if let maxRatio, let baseline {
            guard let base = try await self.value(target, dimensions: baseline) else { return (nil, true) }
            // A baseline of 0 compares with the smallest step instead (one error per request seen).
            let limit = maxRatio * Swift.max(base, per == nil ? 1 : 0.001)
            if value > limit {
                return (
                    "analysis \(name): \(Self.format(value)) > \(Self.format(maxRatio))× the baseline's \(Self.format(base)) (\(what))",
                    true
                )
            }
        }
        return (nil, true)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.4g", value)
    }
}
