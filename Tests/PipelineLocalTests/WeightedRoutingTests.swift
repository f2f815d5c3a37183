import Foundation
import Testing

@testable import PipelineLocal

/// The load balancer's weighted draw between services (a weighted canary).
@Suite struct WeightedRoutingTests {
    func pool(main: Int, canary: Int) -> [String: [Router.Target]] {
        let mains = (0..<main).map { Router.Target(task: "web-\($0)", service: "web", port: 9000 + $0) }
        let canaries = (0..<canary).map {
            Router.Target(task: "web-canary-\($0)", service: "web-canary", port: 9100 + $0, ownGroup: true)
        }
        return ["web": mains + canaries]
    }

    /// 10% by weight is 10% of requests, whatever the task counts — even when the pools are refreshed
    /// (as every health check does) between every two requests.
    @Test func sharesFollowTheWeightsNotTheTaskCounts() {
        let router = Router()
        router.setPools(pool(main: 4, canary: 1))
        var canary = 0
        for i in 0..<2000 {
            router.setPools(pool(main: 4, canary: 1))
            router.setWeights(["web": ["web": 90, "web-canary": 10]])
            let target = router.pick("web")!
            router.finish(target, listener: "web", status: 200, latency: 0.001)
            if target.service == "web-canary" { canary += 1 }
            _ = i
        }
        #expect(canary == 200)
    }

    /// Without weights a service in its own target group gets nothing; the others share by task.
    @Test func aCanaryInItsOwnGroupGetsNothingWithoutWeights() {
        let router = Router()
        router.setPools(pool(main: 2, canary: 1))
        let picks = (0..<100).map { _ -> String in
            let target = router.pick("web")!
            router.finish(target, listener: "web", status: 200, latency: 0.001)
            return target.service
        }
        #expect(!picks.contains("web-canary"))
        router.setWeights(["web": ["web": 0, "web-canary": 100]])
        #expect(router.pick("web")?.service == "web-canary")
    }
}
