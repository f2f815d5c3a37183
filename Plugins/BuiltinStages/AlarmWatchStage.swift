import Foundation
import PipelineCore

/// `alarm-watch`: watches alarms during a bake time and fails at once when one fires.
public struct AlarmWatchStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "alarm-watch",
        summary: "Watches CloudWatch alarms for a bake time; fails at once, naming the alarm, when one is in ALARM.",
        inputs: [
            StageInputSpec("alarms", .list, "alarm names"),
            StageInputSpec("alarm_prefix", .string, "watch every alarm whose name starts with this"),
            StageInputSpec("bake_time", .duration, "how long to watch (default 5m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 10s)"),
            StageInputSpec(
                "ignore_alarms_already_firing", .bool, "don't fail for alarms in ALARM when the watch starts"),
        ],
        outputs: ["alarms_checked"])

    public init() {}

    public static func preflight(_ check: PreflightContext) throws {
        let names = try check.inputs.stringList("alarms") ?? []
        let prefix = try check.inputs.string("alarm_prefix")
        if names.isEmpty, prefix == nil, check.inputs["alarms"] == nil {
            throw StageFailure("alarm-watch needs with.alarms (names) and/or with.alarm_prefix")
        }
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let names = try context.inputs.stringList("alarms") ?? []
        let prefix = try context.inputs.string("alarm_prefix")
        let bake = try context.inputs.duration("bake_time") ?? .seconds(300)
        let poll = try context.pollInterval(default: .seconds(10))
        let ignoreFiring = try context.inputs.bool("ignore_alarms_already_firing") ?? false

        let initial = try await target.alarms(names: names, prefix: prefix)
        let missing = Set(names).subtracting(initial.map(\.name))
        if !missing.isEmpty {
            throw StageFailure("alarm(s) not found: \(missing.sorted().joined(separator: ", ")) — check with.alarms")
        }
        if initial.isEmpty { throw StageFailure("no alarm starts with '\(prefix ?? "")'") }
        var ignored = Set<String>()
        for alarm in initial where alarm.state == "ALARM" {
            if ignoreFiring {
                ignored.insert(alarm.name)
                context.logger.warning("\(alarm.name) is already in ALARM; ignored until it recovers")
            } else {
                throw StageFailure(Self.describe(alarm, when: "already in ALARM when the watch started"))
            }
        }
        context.logger.info(
            "watching \(initial.count) alarm(s) for \(DurationFormat.format(bake)): \(initial.map(\.name).joined(separator: ", "))"
        )
        let deadline = ContinuousClock.now + bake
        var checks = 1
        while ContinuousClock.now < deadline {
            try await context.sleep(for: min(poll, deadline - ContinuousClock.now))
            let states = try await target.alarms(names: names, prefix: prefix)
            checks += 1
            for alarm in states {
                if alarm.state != "ALARM" {
                    ignored.remove(alarm.name)
                } else if !ignored.contains(alarm.name) {
                    throw StageFailure(Self.describe(alarm, when: "fired during the bake time"))
                }
            }
        }
        context.logger.info("no alarm fired in \(DurationFormat.format(bake)) (\(checks) checks)")
        return ["alarms_checked": .number(Double(initial.count))]
    }

    static func describe(_ alarm: AlarmState, when: String) -> String {
        var text = "alarm \(alarm.name) \(when): \(alarm.reason.isEmpty ? "(no reason given)" : alarm.reason)"
        if let at = alarm.updatedAt { text += " (since \(Timestamp.seconds(at)))" }
        return text
    }
}
