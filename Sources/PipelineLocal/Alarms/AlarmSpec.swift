import Foundation
import PipelineCore

/// An alarm in CloudWatch's vocabulary, evaluated by the agent over the load balancer's metrics.
package struct AlarmSpec: Codable, Sendable, Hashable {
    package var name: String
    /// RequestCount, HTTPCode_Target_5XX_Count, HTTPCode_Target_4XX_Count, HTTPCode_Target_2XX_Count,
    /// HTTPCode_ELB_5XX_Count or TargetResponseTime.
    package var metric: String
    /// Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99.
    package var statistic: String
    /// Seconds; a multiple of 10.
    package var period: Int
    package var evaluationPeriods: Int
    package var datapointsToAlarm: Int
    package var threshold: Double
    package var comparisonOperator: String
    /// The listener (named after the main service) whose traffic the alarm reads.
    package var listener: String
    /// Only this service's targets (`dimensions: {service: NAME}`); nil: every service behind the listener.
    package var service: String?
    /// missing (default), notBreaching, breaching or ignore.
    package var treatMissingData: String

    package static let metrics: Set<String> = [
        "RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_2XX_Count",
        "HTTPCode_ELB_5XX_Count", "TargetResponseTime",
    ]
    package static let operators: Set<String> = [
        "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
    ]
    static let keys: Set<String> = [
        "name", "metric", "metric_name", "statistic", "period", "evaluation_periods", "datapoints_to_alarm",
        "threshold", "comparison_operator", "dimensions", "treat_missing_data",
    ]

    /// Reads `target.alarms[i]`; errors name the field (`field` is e.g. `target.alarms[0]`).
    package static func parse(_ value: InputValue, listener: String, field: String) throws -> AlarmSpec {
        guard case .map(let m) = value else { throw PipelineError(.invalidInput, "\(field) must be a map") }
        func fail(_ key: String, _ message: String) -> PipelineError {
            PipelineError(.invalidInput, "\(field).\(key): \(message)")
        }
        for key in m.keys where !keys.contains(key) {
            throw fail(key, "unknown key; expected one of \(keys.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws -> String? {
            guard let v = m[key] else { return nil }
            guard let s = v.scalarString else { throw fail(key, "must be a string, got \(v.typeName)") }
            return s
        }
        func number(_ key: String) throws -> Double? {
            guard let v = m[key] else { return nil }
            if case .number(let n) = v { return n }
            if let s = v.scalarString, let n = Double(s) { return n }
            throw fail(key, "must be a number, got \(v.typeName)")
        }
        guard let name = try string("name"), !name.isEmpty else { throw fail("name", "is required") }
        guard let metric = try string("metric") ?? string("metric_name") else { throw fail("metric", "is required") }
        guard metrics.contains(metric) else {
            throw fail(
                "metric",
                "unknown metric \(metric); the local load balancer records \(metrics.sorted().joined(separator: ", "))")
        }
        let statistic = try string("statistic") ?? (metric == "TargetResponseTime" ? "Average" : "Sum")
        guard
            ["Sum", "Average", "Minimum", "Maximum", "SampleCount"].contains(statistic) || percentile(statistic) != nil
        else {
            throw fail(
                "statistic", "expected Sum, Average, Minimum, Maximum, SampleCount or pNN (e.g. p99), got \(statistic)")
        }
        let period = Int(try number("period") ?? 60)
        guard period >= 10, period % 10 == 0 else {
            throw fail("period", "must be a multiple of 10 seconds, got \(period)")
        }
        let evaluation = Int(try number("evaluation_periods") ?? 1)
        guard evaluation >= 1 else { throw fail("evaluation_periods", "must be at least 1") }
        let datapoints = Int(try number("datapoints_to_alarm") ?? Double(evaluation))
        guard datapoints >= 1, datapoints <= evaluation else {
            throw fail("datapoints_to_alarm", "must be between 1 and evaluation_periods (\(evaluation))")
        }
        guard let threshold = try number("threshold") else { throw fail("threshold", "is required") }
        let op = try string("comparison_operator") ?? "GreaterThanThreshold"
        guard operators.contains(op) else {
            throw fail(
                "comparison_operator", "expected one of \(operators.sorted().joined(separator: ", ")), got \(op)")
        }
        var service: String?
        if let dims = m["dimensions"] {
            guard case .map(let d) = dims else { throw fail("dimensions", "must be a map such as {service: NAME}") }
            for key in d.keys where key != "service" {
                throw fail("dimensions.\(key)", "unknown dimension; the local provider knows `service`")
            }
            service = d["service"]?.scalarString
        }
        let missing = try string("treat_missing_data") ?? "missing"
        guard ["missing", "notBreaching", "breaching", "ignore"].contains(missing) else {
            throw fail("treat_missing_data", "expected missing, notBreaching, breaching or ignore, got \(missing)")
        }
        return AlarmSpec(
            name: name, metric: metric, statistic: statistic, period: period, evaluationPeriods: evaluation,
            datapointsToAlarm: datapoints, threshold: threshold, comparisonOperator: op, listener: listener,
            service: service, treatMissingData: missing)
    }

    static func percentile(_ statistic: String) -> Double? {
        guard statistic.hasPrefix("p"), let p = Double(statistic.dropFirst()), p > 0, p <= 100 else { return nil }
        return p
    }

    func breaches(_ value: Double) -> Bool {
        switch comparisonOperator {
        case "GreaterThanThreshold": return value > threshold
        case "GreaterThanOrEqualToThreshold": return value >= threshold
        case "LessThanThreshold": return value < threshold
        default: return value <= threshold
        }
    }

    /// The state for the newest `evaluationPeriods` datapoints (newest first; nil = missing), and a reason.
    func evaluate(_ datapoints: [Double?]) -> (state: AlarmStateValue, reason: String) {
        let present = datapoints.compactMap { $0 }
        if present.isEmpty {
            switch treatMissingData {
            case "breaching": return (.alarm, "no datapoints in \(evaluationPeriods) period(s), treated as breaching")
            case "notBreaching": return (.ok, "no datapoints, treated as not breaching")
            default:
                return (.insufficientData, "no datapoints in the last \(evaluationPeriods) period(s) of \(period)s")
            }
        }
        var breaching = present.filter(breaches).count
        if treatMissingData == "breaching" { breaching += datapoints.count - present.count }
        let shown = datapoints.map { $0.map { Self.format($0) } ?? "-" }.joined(separator: ", ")
        let text =
            "\(metric) \(statistic) [\(shown)] (newest first, \(period)s periods) vs \(comparisonOperator) \(Self.format(threshold)): \(breaching) of \(datapoints.count) breaching"
        return (breaching >= datapointsToAlarm ? .alarm : .ok, text)
    }

    static func format(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.4g", v)
    }
}
