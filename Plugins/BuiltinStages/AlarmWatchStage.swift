import Foundation
import PipelineCore

/// `alarm-watch`: watches alarms during a bake time and fails at once when one goes to ALARM.
///
/// The engine takes the alarms' baseline before the run's first change (waiting for an alarm already in
/// ALARM to clear), so this stage judges transitions since that baseline — including ones that happened
/// before the bake started, or that went back to OK between two looks.
package struct AlarmWatchStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "alarm-watch",
        summary:
            "Watches CloudWatch alarms for a bake time; fails at once, naming the alarm, on any transition to ALARM since the run's alarm baseline.",
        inputs: Inputs.self,
        outputs: [Outputs.alarmsChecked], usesTarget: true)

    /// What `alarm-watch` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let alarms = Input<[String]>("alarms", default: [], help: "alarm names")
        let alarmPrefix = Input<String?>("alarm_prefix", help: "watch every alarm whose name starts with this")
        let bakeTime = Input<Duration>("bake_time", default: .seconds(300), help: "how long to watch; `0` checks once")
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(10),
            help: "how often to check; also how often the engine looks from canary-deploy to promote")
        let alarmClearTimeout = Input<Duration>(
            "alarm_clear_timeout", default: .seconds(600),
            help: "before the run changes anything, how long to wait for an alarm in ALARM to clear")
        let ignoreAlarmsAlreadyFiring = Input<Bool>(
            "ignore_alarms_already_firing", default: false,
            help: "don't wait for alarms in ALARM before the run's first change; they count again once they leave ALARM"
        )
        /// The declarations.
        package init() {}
    }

    /// The outputs `alarm-watch` returns.
    package enum Outputs {
        /// How many alarms were judged.
        package static let alarmsChecked: OutputKey = "alarms_checked"
    }

    package init() {}

    package static func preflight(_ check: PreflightContext) throws {
        let inputs = try check.inputs(Inputs.self)
        if inputs.alarms?.isEmpty ?? true, inputs.alarmPrefix == nil, check.inputs["alarms"] == nil {
            throw StageFailure("alarm-watch needs with.alarms (names) and/or with.alarm_prefix")
        }
    }

    package static func watchedAlarms(_ raw: StageInputs) throws -> AlarmWatchSpec? {
        let inputs = try raw.declared(Inputs.self)
        if inputs.alarms.isEmpty, inputs.alarmPrefix == nil { return nil }
        return AlarmWatchSpec(
            names: inputs.alarms, prefix: inputs.alarmPrefix, clearTimeout: inputs.alarmClearTimeout,
            pollInterval: inputs.pollInterval, ignoreAlreadyFiring: inputs.ignoreAlarmsAlreadyFiring)
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        guard let spec = try Self.watchedAlarms(context.inputs) else {
            throw StageFailure("alarm-watch needs with.alarms (names) and/or with.alarm_prefix")
        }
        let bake = try context.inputs(Inputs.self).bakeTime
        let poll = spec.pollInterval
        let logger = context.logger
        if context.isDryRun {
            // A dry run waits for nothing: one look, then what the bake would do.
            let states = try await target.alarms(names: spec.names, prefix: spec.prefix)
            let missing = spec.names.filter { name in !states.contains { $0.name == name } }
            if !missing.isEmpty {
                throw StageFailure("alarm(s) \(missing.joined(separator: ", ")) do not exist on \(target.description)")
            }
            let seen = states.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            logger.info(
                "would watch \(states.count) alarm(s) for \(Duration.describe(bake) ?? "0")\(seen.isEmpty ? "" : " (now: \(seen))")"
            )
            return StageOutputs([Outputs.alarmsChecked: .number(Double(states.count))])
        }
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
        return StageOutputs([Outputs.alarmsChecked: .number(Double(watched.entries.count))])
    }
}
