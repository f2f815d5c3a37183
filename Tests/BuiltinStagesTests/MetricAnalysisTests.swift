import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

/// alarm-watch's `analysis:` on the fake target: thresholds and canary-vs-baseline comparisons.
@Suite struct MetricAnalysisTests {
    static func query(_ metric: String, _ group: String) -> MetricQuerySpec {
        MetricQuerySpec(
            namespace: "AWS/ApplicationELB", metric: metric, dimensions: ["TargetGroup": group], statistic: "Sum")
    }

    static let rateCheck: InputValue = [
        [
            "name": "canary-5xx-rate", "metric": "HTTPCode_Target_5XX_Count", "per": "RequestCount",
            "dimensions": ["TargetGroup": "tg/canary"], "baseline": ["TargetGroup": "tg/main"], "max_ratio": "2",
            "window": "1m",
        ]
    ]

    func fake(canary5xx: Double?, canaryRequests: Double?, main5xx: Double, mainRequests: Double)
        -> FakeDeploymentTarget
    {
        let fake = webTarget()
        fake.setMetric(Self.query("HTTPCode_Target_5XX_Count", "tg/canary"), canary5xx)
        fake.setMetric(Self.query("RequestCount", "tg/canary"), canaryRequests)
        fake.setMetric(Self.query("HTTPCode_Target_5XX_Count", "tg/main"), main5xx)
        fake.setMetric(Self.query("RequestCount", "tg/main"), mainRequests)
        return fake
    }

    let inputs: [String: InputValue] = ["bake_time": "20ms", "poll_interval": "5ms"]

    @Test func aCanaryRateAboveTwiceTheMainsFails() async {
        let fake = fake(canary5xx: 10, canaryRequests: 100, main5xx: 2, mainRequests: 1000)
        let result = await harness(fake).run(AlarmWatchStage(), inputs: merged(inputs, ["analysis": Self.rateCheck]))
        #expect(
            result.failure?.contains("analysis canary-5xx-rate: 0.1 > 2× the baseline's 0.002") == true,
            "\(result.failure ?? "")")
    }

    @Test func aCanaryAsGoodAsTheMainPasses() async {
        let fake = fake(canary5xx: 0, canaryRequests: 100, main5xx: 3, mainRequests: 1000)
        let result = await harness(fake).run(AlarmWatchStage(), inputs: merged(inputs, ["analysis": Self.rateCheck]))
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(result.logs.contains { $0.contains("1 of 1 metric check(s) judged, none failed") }, "\(result.logs)")
    }

    @Test func noDataIsNotAFailureAndIsSaidOnce() async {
        let fake = fake(canary5xx: nil, canaryRequests: nil, main5xx: 1, mainRequests: 10)
        let result = await harness(fake).run(AlarmWatchStage(), inputs: merged(inputs, ["analysis": Self.rateCheck]))
        #expect(result.failure == nil)
        #expect(result.logs.filter { $0.contains("no data yet") }.count == 1, "\(result.logs)")
    }

    @Test func aPlainThresholdFails() async {
        let fake = fake(canary5xx: 7, canaryRequests: 100, main5xx: 0, mainRequests: 100)
        let check: InputValue = [
            ["metric": "HTTPCode_Target_5XX_Count", "dimensions": ["TargetGroup": "tg/canary"], "max": "5"]
        ]
        let result = await harness(fake).run(AlarmWatchStage(), inputs: merged(inputs, ["analysis": check]))
        #expect(
            result.failure?.contains("analysis HTTPCode_Target_5XX_Count: 7 > max 5") == true, "\(result.failure ?? "")"
        )
    }

    @Test func badChecksAreRefusedBeforeAnythingRuns() async {
        for (check, message) in [
            ([["metric": "RequestCount"]] as InputValue, "needs max (a threshold) and/or max_ratio"),
            ([["metric": "RequestCount", "max_ratio": "2"]], "max_ratio: needs baseline"),
            ([["metric": "RequestCount", "max": "1", "colour": "red"]], "colour: unknown key"),
            ([["metric": "RequestCount", "max": "1", "window": "1s"]], "at least 10s"),
            ("RequestCount", "expected a list of checks"),
        ] {
            let result = await harness(webTarget()).run(AlarmWatchStage(), inputs: merged(inputs, ["analysis": check]))
            #expect(result.failure?.contains(message) == true, "\(message): \(result.failure ?? "")")
            #expect(!result.ran)
        }
    }
}
