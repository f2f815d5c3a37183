import Foundation

/// Amazon CloudWatch (awsJson1_0, `GraniteServiceVersion20100801`).
package struct CloudWatch: Sendable {
    let client: AWSClient
    package init(client: AWSClient) { self.client = client }

    package struct MetricAlarm: Codable, Sendable, Hashable {
        package var AlarmName: String
        package var AlarmArn: String?
        /// OK, ALARM or INSUFFICIENT_DATA.
        package var StateValue: String
        package var StateReason: String?
        package var StateUpdatedTimestamp: Date?
        package var MetricName: String?
        package var Namespace: String?
    }

    package struct Dimension: Codable, Sendable, Hashable {
        package var Name: String
        package var Value: String
        package init(Name: String, Value: String) {
            self.Name = Name
            self.Value = Value
        }
    }

    package struct MetricQuery: Codable, Sendable, Hashable {
        package struct Metric: Codable, Sendable, Hashable {
            package var Namespace: String
            package var MetricName: String
            package var Dimensions: [Dimension]?
        }
        package struct Statistic: Codable, Sendable, Hashable {
            package var Metric: Metric
            package var Period: Int
            package var Stat: String
        }
        package var Id: String
        package var MetricStat: Statistic
        package var ReturnData: Bool = true

        package init(id: String, namespace: String, metric: String, dimensions: [Dimension], period: Int, stat: String)
        {
            Id = id
            MetricStat = Statistic(
                Metric: Metric(Namespace: namespace, MetricName: metric, Dimensions: dimensions), Period: period,
                Stat: stat)
        }
    }

    package struct MetricDataResult: Codable, Sendable, Hashable {
        package var Id: String
        package var Label: String?
        package var Timestamps: [Date]?
        package var Values: [Double]?
        package var StatusCode: String?
    }

    private func call<I: Encodable, O: Decodable>(_ operation: String, _ input: I) async throws -> O {
        try await client.json(
            .cloudWatch, targetPrefix: "GraniteServiceVersion20100801", version: "1.0", operation: operation, input)
    }

    /// Metric alarms by names and/or name prefix, every page.
    package func describeAlarms(names: [String] = [], prefix: String? = nil) async throws -> [MetricAlarm] {
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
    package func getMetricData(_ queries: [MetricQuery], start: Date, end: Date) async throws -> [MetricDataResult] {
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
    package struct AlarmHistoryItem: Codable, Sendable, Hashable {
        package var AlarmName: String
        package var Timestamp: Date
        package var HistoryItemType: String?
        package var HistorySummary: String?
        /// JSON: `{"oldState": {"stateValue": ...}, "newState": {"stateValue": ..., "stateReason": ...}}`.
        package var HistoryData: String?
    }

    /// State changes of one alarm from `start` on, oldest first, every page.
    package func describeAlarmHistory(name: String, start: Date) async throws -> [AlarmHistoryItem] {
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
