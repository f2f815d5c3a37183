import Foundation
import PipelineCore
import Testing

@testable import PipelineLocal

@Suite struct AlarmTests {
    func spec(_ fields: [String: Any]) throws -> AlarmSpec {
        try AlarmSpec.parse(Self.input(fields), listener: "web", field: "target.alarms[0]")
    }

    static func input(_ value: Any) -> InputValue {
        switch value {
        case let s as String: return .string(s)
        case let n as Int: return .number(Double(n))
        case let n as Double: return .number(n)
        case let m as [String: Any]: return .map(m.mapValues(input))
        default: return .null
        }
    }

    @Test func parsesCloudWatchVocabularyWithDefaults() throws {
        let a = try spec([
            "name": "web-5xx", "metric": "HTTPCode_Target_5XX_Count", "threshold": 3,
            "dimensions": ["service": "web-canary"],
        ])
        #expect(a.statistic == "Sum" && a.period == 60 && a.evaluationPeriods == 1 && a.datapointsToAlarm == 1)
        #expect(a.comparisonOperator == "GreaterThanThreshold" && a.service == "web-canary")
    }

    @Test func errorsNameTheField() {
        func message(_ fields: [String: Any]) -> String {
            do {
                _ = try spec(fields)
                return ""
            } catch { return "\(error)" }
        }
        #expect(
            message(["name": "a", "metric": "Errors", "threshold": 1]).contains(
                "target.alarms[0].metric: unknown metric Errors"))
        #expect(
            message(["name": "a", "metric": "RequestCount", "threshold": 1, "period": 15]).contains(
                "target.alarms[0].period"))
        #expect(
            message(["name": "a", "metric": "RequestCount", "threshold": 1, "statistic": "Median"]).contains(
                ".statistic"))
        #expect(message(["name": "a", "metric": "RequestCount"]).contains("target.alarms[0].threshold: is required"))
        #expect(
            message(["name": "a", "metric": "RequestCount", "threshold": 1, "colour": "red"]).contains(
                "target.alarms[0].colour: unknown key"))
    }

    @Test func evaluatesMOfNAndMissingData() throws {
        let a = try spec([
            "name": "p99", "metric": "TargetResponseTime", "statistic": "p99", "period": 10,
            "evaluation_periods": 3, "datapoints_to_alarm": 2, "threshold": 0.5,
        ])
        #expect(a.evaluate([0.9, 0.1, 0.7]).state == "ALARM")
        #expect(a.evaluate([0.9, 0.1, 0.2]).state == "OK")
        #expect(a.evaluate([nil, nil, nil]).state == "INSUFFICIENT_DATA")
        var b = a
        b.treatMissingData = "breaching"
        #expect(b.evaluate([0.9, nil, 0.1]).state == "ALARM")
    }

    @Test func metricsPerServicePerPeriod() {
        var store = MetricStore()
        let now = Date(timeIntervalSince1970: 1_000_005)
        for i in 0..<100 {
            store.record(
                listener: "web", service: i < 20 ? "web-canary" : "web", status: i < 20 ? 500 : 200, elbStatus: nil,
                latency: Double(i) / 1000, at: now)
        }
        let start = 1_000_000
        #expect(
            store.datapoint(
                metric: "RequestCount", statistic: "Sum", listener: "web", service: nil, from: start, length: 10) == 100
        )
        #expect(
            store.datapoint(
                metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", listener: "web", service: "web-canary",
                from: start, length: 10) == 20)
        #expect(
            store.datapoint(
                metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", listener: "web", service: "web", from: start,
                length: 10) == 0)
        #expect(
            store.datapoint(
                metric: "RequestCount", statistic: "Sum", listener: "web", service: nil, from: start + 10, length: 10)
                == nil)
        let p99 = store.datapoint(
            metric: "TargetResponseTime", statistic: "p99", listener: "web", service: nil, from: start, length: 10)!
        #expect(p99 > 0.093 && p99 <= 0.099)
        let avg = store.datapoint(
            metric: "TargetResponseTime", statistic: "Average", listener: "web", service: "web", from: start, length: 10
        )!
        #expect(abs(avg - 0.0595) < 0.0001)
    }
}
