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
    }

    private let lock = NSLock()
    private var pools: [String: [Target]] = [:]
    private var cursors: [String: Int] = [:]
    private var inFlight: [String: Int] = [:]
    private var hosts: [String: String] = [:]
    private var metrics = MetricStore()

    package init() {}

    /// Replaces the targets of every listener.
    func setPools(_ pools: [String: [Target]]) { lock.withLock { self.pools = pools } }

    func setHosts(_ hosts: [String: String]) { lock.withLock { self.hosts = hosts } }

    func listener(forHost host: String) -> String? {
        let name = host.split(separator: ":").first.map { String($0).lowercased() } ?? ""
        return lock.withLock { hosts[name] }
    }

    var knownHosts: [String] { lock.withLock { hosts.keys.sorted() } }

    /// The next target round-robin (skipping `excluding`), counted as in flight until `finish`.
    func pick(_ listener: String, excluding: Set<String> = []) -> Target? {
        lock.withLock {
            guard let pool = pools[listener], !pool.isEmpty else { return nil }
            let start = cursors[listener, default: 0]
            for offset in 0..<pool.count {
                let target = pool[(start + offset) % pool.count]
                if excluding.contains(target.task) { continue }
                cursors[listener] = (start + offset + 1) % pool.count
                inFlight[target.task, default: 0] += 1
                return target
            }
            return nil
        }
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
        lock.withLock {
            metrics.datapoint(
                metric: alarm.metric, statistic: alarm.statistic, listener: alarm.listener, service: alarm.service,
                from: from, length: length)
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
