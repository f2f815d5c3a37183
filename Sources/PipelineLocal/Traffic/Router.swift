import Foundation

/// The load balancer's routing table: the healthy targets behind each listener, the requests in flight
/// per task (so that draining waits for them) and the metrics. One lock guards it all, so a task removed
/// from the table can't be picked afterwards, and its in-flight count only goes down.
package final class Router: @unchecked Sendable {
    // @unchecked: every field is guarded by `lock`.
    package struct Target: Sendable, Hashable {
        package var task: String
        package var service: String
        package var port: Int
        /// In a target group of its own (a weighted canary): reached only through the listener's weights.
        package var ownGroup = false
    }

    private let lock = NSLock()
    private var pools: [String: [Target]] = [:]
    private var cursors: [String: Int] = [:]
    private var inFlight: [String: Int] = [:]
    private var hosts: [String: String] = [:]
    private var weights: [String: [String: Int]] = [:]
    /// Smooth weighted round-robin state per listener (service → current score).
    private var scores: [String: [String: Int]] = [:]
    private var serviceCursors: [String: Int] = [:]
    private var metrics = MetricStore()

    package init() {}

    /// Replaces the targets of every listener.
    func setPools(_ pools: [String: [Target]]) { lock.withLock { self.pools = pools } }

    func setHosts(_ hosts: [String: String]) { lock.withLock { self.hosts = hosts } }

    /// Listener → service → weight; a listener without weights sends to every healthy task in turn.
    func setWeights(_ weights: [String: [String: Int]]) {
        lock.withLock {
            let weights = weights.filter { !$0.value.isEmpty }
            // The pools are refreshed after every health check: the draw keeps its place unless the
            // weights themselves change (restarting it each time would starve a small share).
            for listener in Set(self.weights.keys).union(weights.keys) where self.weights[listener] != weights[listener]
            {
                scores[listener] = nil
            }
            self.weights = weights
        }
    }

    func listener(forHost host: String) -> String? {
        let name = host.split(separator: ":").first.map { String($0).lowercased() } ?? ""
        return lock.withLock { hosts[name] }
    }

    var knownHosts: [String] { lock.withLock { hosts.keys.sorted() } }

    /// The next target round-robin (skipping `excluding`), counted as in flight until `finish`.
    func pick(_ listener: String, excluding: Set<String> = []) -> Target? {
        lock.withLock {
            guard let pool = pools[listener], !pool.isEmpty else { return nil }
            if let weights = weights[listener], let target = pickWeighted(listener, pool, weights, excluding) {
                inFlight[target.task, default: 0] += 1
                return target
            }
            let start = cursors[listener, default: 0]
            for offset in 0..<pool.count {
                let target = pool[(start + offset) % pool.count]
                if excluding.contains(target.task) || target.ownGroup { continue }
                cursors[listener] = (start + offset + 1) % pool.count
                inFlight[target.task, default: 0] += 1
                return target
            }
            return nil
        }
    }

    /// A service by smooth weighted round-robin (exact shares: 10 of every 100 requests at weight 10),
    /// then its next task; services without a ready task are left out of the draw. Call under `lock`.
    private func pickWeighted(_ listener: String, _ pool: [Target], _ weights: [String: Int], _ excluding: Set<String>)
        -> Target?
    {
        let ready = Dictionary(grouping: pool.filter { !excluding.contains($0.task) }, by: \.service)
        let candidates = weights.filter { $0.value > 0 && ready[$0.key] != nil }
        guard !candidates.isEmpty else { return nil }
        let total = candidates.values.reduce(0, +)
        var current = scores[listener, default: [:]]
        for (service, weight) in candidates { current[service, default: 0] += weight }
        let chosen = candidates.keys.sorted().max { current[$0]! < current[$1]! }!
        current[chosen]! -= total
        scores[listener] = current
        let targets = ready[chosen]!
        let key = "\(listener)/\(chosen)"
        let index = serviceCursors[key, default: 0] % targets.count
        serviceCursors[key] = index + 1
        return targets[index]
    }

    /// Ends a request a target handled; `status` nil when the target could not be reached.
    func finish(_ target: Target, listener: String, status: Int?, latency: Double) {
        lock.withLock {
            let left = inFlight[target.task, default: 1] - 1
            inFlight[target.task] = left > 0 ? left : nil
            metrics.record(
                listener: listener, service: target.service, status: status, elbStatus: status == nil ? 502 : nil,
                latency: latency, at: Date())
        }
    }

    /// Records a request the load balancer answered itself (no healthy target: 503, or unreachable: 502).
    func recordELB(listener: String, status: Int) {
        lock.withLock {
            metrics.record(listener: listener, service: "", status: nil, elbStatus: status, latency: 0, at: Date())
        }
    }

    func inFlight(_ task: String) -> Int { lock.withLock { inFlight[task, default: 0] } }

    func datapoint(_ alarm: AlarmSpec, from: Int, length: Int) -> Double? {
        datapoint(
            metric: alarm.metric, statistic: alarm.statistic, listener: alarm.listener, service: alarm.service,
            from: from, length: length)
    }

    func datapoint(metric: String, statistic: String, listener: String, service: String?, from: Int, length: Int)
        -> Double?
    {
        lock.withLock {
            metrics.datapoint(
                metric: metric, statistic: statistic, listener: listener, service: service, from: from, length: length)
        }
    }

    /// Sums for `agent status`: requests and 5xx of the last minute per service.
    func lastMinute(listener: String, service: String?) -> (requests: Int, errors: Int) {
        let now = Int(Date().timeIntervalSince1970) / 10 * 10
        return lock.withLock {
            let r = metrics.datapoint(
                metric: "RequestCount", statistic: "Sum", listener: listener, service: service, from: now - 50,
                length: 60)
            let e = metrics.datapoint(
                metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", listener: listener, service: service,
                from: now - 50, length: 60)
            return (Int(r ?? 0), Int(e ?? 0))
        }
    }
}
