import Foundation
import PipelineCore

/// `alarm-watch`: watches alarms during a bake time and fails at once when one goes to ALARM.
///
/// The engine takes the alarms' baseline before the run's first change (waiting for an alarm already in
/// ALARM to clear), so this stage judges transitions since that baseline — including ones that happened
/// before the bake started, or that went back to OK between two looks.
public struct AlarmWatchStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "alarm-watch",
        summary:
            "Watches CloudWatch alarms for a bake time; fails at once, naming the alarm, on any transition to ALARM since the run's alarm baseline.",
        inputs: [
            StageInputSpec("alarms", .list, "alarm names"),
            StageInputSpec("alarm_prefix", .string, "watch every alarm whose name starts with this"),
            StageInputSpec("bake_time", .duration, "how long to watch (default 5m)"),
            StageInputSpec("poll_interval", .duration, "how often to check (default 10s)"),
            StageInputSpec(
                "alarm_clear_timeout", .duration,
                "before the run changes anything, how long to wait for an alarm in ALARM to clear (default 10m)"),
            StageInputSpec(
                "ignore_alarms_already_firing", .bool,
                "don't wait for alarms in ALARM before the run's first change; they count again once they leave ALARM"),
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

    public static func watchedAlarms(_ inputs: StageInputs) throws -> AlarmWatchSpec? {
        let names = try inputs.stringList("alarms") ?? []
        let prefix = try inputs.string("alarm_prefix")
        if names.isEmpty, prefix == nil { return nil }
        return AlarmWatchSpec(
            names: names, prefix: prefix, clearTimeout: try inputs.duration("alarm_clear_timeout") ?? .seconds(600),
            pollInterval: try inputs.duration("poll_interval") ?? .seconds(10),
            ignoreAlreadyFiring: try inputs.bool("ignore_alarms_already_firing") ?? false)
    }

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        guard let spec = try Self.watchedAlarms(context.inputs) else {
            throw StageFailure("alarm-watch needs with.alarms (names) and/or with.alarm_prefix")
        }
        let bake = try context.inputs.duration("bake_time") ?? .seconds(300)
        let poll = spec.pollInterval
        let logger = context.logger
        // The engine's baseline, taken before the first change; a stage run on its own takes one now.
        let watched: AlarmGuard
        if let taken = context.services.get(AlarmGuardBox.self)?.alarmGuard {
            watched = taken
        } else {
            watched = try await AlarmGuard.take(
                target: target, specs: [spec], clock: context.clock, note: { logger.info("\($0)") })
        }
        let baseline = watched.entries.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
        context.logger.info(
            "watching \(watched.entries.count) alarm(s) for \(DurationFormat.format(bake)); baseline \(Timestamp.seconds(watched.takenAt)): \(baseline)"
        )
        if let found = try await watched.check() { throw StageFailure(found.message) }
        let deadline = ContinuousClock.now + bake
        var checks = 1
        var failures = TransientFailures()
        while ContinuousClock.now < deadline {
            try await context.sleep(for: min(poll, deadline - ContinuousClock.now))
            checks += 1
            do {
                if let found = try await watched.check() { throw StageFailure(found.message) }
                failures.reset()
            } catch let failure as StageFailure {
                throw failure
            } catch {
                try failures.absorb(error) { logger.warning("\($0)") }
            }
        }
        context.logger.info("no alarm went to ALARM in \(DurationFormat.format(bake)) (\(checks) checks)")
        return ["alarms_checked": .number(Double(watched.entries.count))]
    }
}
