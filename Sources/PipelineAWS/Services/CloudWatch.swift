import Foundation

/// Amazon CloudWatch (awsJson1_0, `GraniteServiceVersion20100801`).
public struct CloudWatch: Sendable {
    let client: AWSClient
    public init(client: AWSClient) { self.client = client }

    public struct MetricAlarm: Codable, Sendable, Hashable {
        public var AlarmName: String
        public var AlarmArn: String?
        /// OK, ALARM or INSUFFICIENT_DATA.
        public var StateValue: String
        public var StateReason: String?
        public var StateUpdatedTimestamp: Date?
        public var MetricName: String?
        public var Namespace: String?
    }

    public struct Dimension: Codable, Sendable, Hashable {
        public var Name: String
        public var Value: String
        public init(Name: String, Value: String) {
            self.Name = Name
            self.Value = Value
        }
    }

    public struct MetricQuery: Codable, Sendable, Hashable {
        public struct Metric: Codable, Sendable, Hashable {
            public var Namespace: String
            public var MetricName: String
            public var Dimensions: [Dimension]?
        }
        public struct Statistic: Codable, Sendable, Hashable {
            public var Metric: Metric
            public var Period: Int
            public var Stat: String
        }
        public var Id: String
        public var MetricStat: Statistic
        public var ReturnData: Bool = true

        public init(id: String, namespace: String, metric: String, dimensions: [Dimension], period: Int, stat: String) {
            Id = id
            MetricStat = Statistic(
                Metric: Metric(Namespace: namespace, MetricName: metric, Dimensions: dimensions), Period: period,
                Stat: stat)
        }
    }

    public struct MetricDataResult: Codable, Sendable, Hashable {
        public var Id: String
        public var Label: String?
        public var Timestamps: [Date]?
        public var Values: [Double]?
        public var StatusCode: String?
    }

    private func call<I: Encodable, O: Decodable>(_ operation: String, _ input: I) async throws -> O {
        try await client.json(
            .cloudWatch, targetPrefix: "GraniteServiceVersion20100801", version: "1.0", operation: operation, input)
    }

    /// Metric alarms by names and/or name prefix, every page.
    public func describeAlarms(names: [String] = [], prefix: String? = nil) async throws -> [MetricAlarm] {
        struct Input: Encodable {
            var AlarmNames: [String]?
            var AlarmNamePrefix: String?
            var NextToken: String?
        }
        struct Output: Decodable {
            var MetricAlarms: [MetricAlarm]?
            var NextToken: String?
        }
        return try await paginate { token in
            let output: Output = try await call(
                "DescribeAlarms",
                Input(AlarmNames: names.isEmpty ? nil : names, AlarmNamePrefix: prefix, NextToken: token))
            return (output.MetricAlarms ?? [], output.NextToken)
        }
    }

    /// Metric data for queries over a time range, every page.
    public func getMetricData(_ queries: [MetricQuery], start: Date, end: Date) async throws -> [MetricDataResult] {
        struct Input: Encodable {
            var MetricDataQueries: [MetricQuery]
            var StartTime: Date
            var EndTime: Date
            var NextToken: String?
        }
        struct Output: Decodable {
            var MetricDataResults: [MetricDataResult]?
            var NextToken: String?
        }
        return try await paginate { token in
            let output: Output = try await call(
                "GetMetricData", Input(MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: token))
            return (output.MetricDataResults ?? [], output.NextToken)
        }
    }

    /// One `StateUpdate` item of an alarm's history.
    public struct AlarmHistoryItem: Codable, Sendable, Hashable {
        public var AlarmName: String
        public var Timestamp: Date
        public var HistoryItemType: String?
        public var HistorySummary: String?
        /// JSON: `{"oldState": {"stateValue": ...}, "newState": {"stateValue": ..., "stateReason": ...}}`.
        public var HistoryData: String?
    }

    /// State changes of one alarm from `start` on, oldest first, every page.
    public func describeAlarmHistory(name: String, start: Date) async throws -> [AlarmHistoryItem] {
        struct Input: Encodable {
            var AlarmName: String
            var HistoryItemType = "StateUpdate"
            var StartDate: Date
            var EndDate: Date
            var ScanBy = "TimestampAscending"
            var NextToken: String?
        }
        struct Output: Decodable {
            var AlarmHistoryItems: [AlarmHistoryItem]?
            var NextToken: String?
        }
        // A day ahead: the platform's clock may be ahead of ours.
        let end = Date().addingTimeInterval(86_400)
        let items: [AlarmHistoryItem] = try await paginate { token in
            let output: Output = try await call(
                "DescribeAlarmHistory", Input(AlarmName: name, StartDate: start, EndDate: end, NextToken: token))
            return (output.AlarmHistoryItems ?? [], output.NextToken)
        }
        return items.sorted { $0.Timestamp < $1.Timestamp }
    }
}
