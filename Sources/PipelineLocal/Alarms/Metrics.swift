import Foundation

/// Load-balancer metrics per listener, per service, per 10-second period: request and status counts,
/// and response times (sum, min, max and a log-scale histogram for percentiles, about 5% precise).
struct MetricStore {
    struct Key: Hashable {
        var listener: String
        /// The service of the target that answered; "" for requests no target answered.
        var service: String
        var period: Int
    }

    struct Bucket {
        var requests = 0
        var target2xx = 0
        var target4xx = 0
        var target5xx = 0
        var elb5xx = 0
        var answered = 0
        var latencySum = 0.0
        var latencyMin = Double.infinity
        var latencyMax = 0.0
        var histogram = [UInt32](repeating: 0, count: MetricStore.bins)

        mutating func add(_ other: Bucket) {
            requests += other.requests
            target2xx += other.target2xx
            target4xx += other.target4xx
            target5xx += other.target5xx
            elb5xx += other.elb5xx
            answered += other.answered
            latencySum += other.latencySum
            latencyMin = min(latencyMin, other.latencyMin)
            latencyMax = max(latencyMax, other.latencyMax)
            for i in 0..<MetricStore.bins where other.histogram[i] > 0 { histogram[i] += other.histogram[i] }
        }

        /// One request; `status` nil means no target answered (an ELB 502/503/504).
        mutating func add(status: Int?, elbStatus: Int?, latency: Double) {
            requests += 1
            if let status {
                answered += 1
                switch status {
                case 200..<300: target2xx += 1
                case 400..<500: target4xx += 1
                case 500...: target5xx += 1
                default: break
                }
                latencySum += latency
                latencyMin = min(latencyMin, latency)
                latencyMax = max(latencyMax, latency)
                histogram[MetricStore.bin(latency)] += 1
            } else if let elbStatus, elbStatus >= 500 {
                elb5xx += 1
            }
        }
    }

    static let bins = 400
    static let growth = log(1.05)
    var buckets: [Key: Bucket] = [:]

    static func bin(_ seconds: Double) -> Int {
        let micros = max(seconds * 1e6, 1)
        return min(bins - 1, Int(log(micros) / growth))
    }

    /// Records one request; `status` nil means no target answered (an ELB 502/503/504).
    mutating func record(
        listener: String, service: String, status: Int?, elbStatus: Int?, latency: Double, at now: Date
    ) {
        let key = Key(listener: listener, service: service, period: Int(now.timeIntervalSince1970) / 10 * 10)
        // Changed in place: a copy taken out of the dictionary would copy the histogram per request.
        buckets[key, default: Bucket()].add(status: status, elbStatus: elbStatus, latency: latency)
        if buckets.count > 20_000 { prune(before: now.addingTimeInterval(-3600)) }
    }

    mutating func prune(before: Date) {
        let limit = Int(before.timeIntervalSince1970)
        buckets = buckets.filter { $0.key.period >= limit }
    }

    /// One datapoint: the statistic of `metric` over [from, from + length) or nil when there is no data.
    func datapoint(metric: String, statistic: String, listener: String, service: String?, from: Int, length: Int)
        -> Double?
    {
        var merged = Bucket()
        var periodsWithData = 0
        var perPeriod: [Double] = []
        for start in stride(from: from, to: from + length, by: 10) {
            var b = Bucket()
            for (key, value) in buckets
            where key.period == start && key.listener == listener && (service == nil || key.service == service) {
                b.add(value)
            }
            guard b.requests > 0 else { continue }
            periodsWithData += 1
            perPeriod.append(Double(count(metric, b)))
            merged.add(b)
        }
        guard periodsWithData > 0 else { return nil }
        if metric == "TargetResponseTime" {
            guard merged.answered > 0 else { return nil }
            switch statistic {
            case "Sum": return merged.latencySum
            case "Average": return merged.latencySum / Double(merged.answered)
            case "Minimum": return merged.latencyMin
            case "Maximum": return merged.latencyMax
            case "SampleCount": return Double(merged.answered)
            default:
                return Self.percentile(merged.histogram, AlarmSpec.percentile(statistic) ?? 99, max: merged.latencyMax)
            }
        }
        switch statistic {
        case "Average": return perPeriod.reduce(0, +) / Double(perPeriod.count)
        case "Minimum": return perPeriod.min()
        case "Maximum": return perPeriod.max()
        case "SampleCount": return Double(perPeriod.count)
        default: return Double(count(metric, merged))
        }
    }

    func count(_ metric: String, _ b: Bucket) -> Int {
        switch metric {
        case "RequestCount": return b.requests
        case "HTTPCode_Target_5XX_Count": return b.target5xx
        case "HTTPCode_Target_4XX_Count": return b.target4xx
        case "HTTPCode_Target_2XX_Count": return b.target2xx
        default: return b.elb5xx
        }
    }

    static func percentile(_ histogram: [UInt32], _ p: Double, max: Double) -> Double {
        let total = histogram.reduce(0) { $0 + Int($1) }
        let rank = Int((Double(total) * p / 100).rounded(.up))
        var seen = 0
        for (i, n) in histogram.enumerated() {
            seen += Int(n)
            if seen >= rank { return min(exp(Double(i + 1) * growth) / 1e6, max) }
        }
        return max
    }
}
