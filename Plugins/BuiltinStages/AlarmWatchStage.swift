import Foundation
import Logging
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
        outputs: [Outputs.alarmsChecked, Outputs.bakeSkippedBy], usesTarget: true)

    /// What `alarm-watch` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let alarms = Input<[String]>("alarms", default: [], help: "alarm names")
        let alarmPrefix = Input<String?>("alarm_prefix", help: "watch every alarm whose name starts with this")
        let bakeTime = Input<Duration>("bake_time", default: .seconds(300), help: "how long to watch; `0` checks once")
        let pollInterval = Input<Duration>(
            "poll_interval", default: .seconds(10),
            help:
                "the longest wait between two looks (250 ms, doubling up to this); also for the engine's alarm monitor from canary-deploy to promote"
        )
        let alarmClearTimeout = Input<Duration>(
            "alarm_clear_timeout", default: .seconds(600),
            help: "before the run changes anything, how long to wait for an alarm in ALARM to clear")
        let ignoreAlarmsAlreadyFiring = Input<Bool>(
            "ignore_alarms_already_firing", default: false,
            help: "don't wait for alarms in ALARM before the run's first change; they count again once they leave ALARM"
        )
        let analysis = Input<InputValue?>(
            "analysis",
            help:
                "metric checks judged at every look: `[{metric, per, statistic, dimensions, window, max, baseline, max_ratio}]` (docs/stages.md)"
        )
        /// The declarations.
        package init() {}
    }

    /// The outputs `alarm-watch` returns.
    package enum Outputs {
        /// How many alarms were judged.
        package static let alarmsChecked: OutputKey = "alarms_checked"
        /// Who ended the bake early with `pipeline skip-bake` (absent when it ran its full time).
        package static let bakeSkippedBy: OutputKey = "bake_skipped_by"
    }

    package init() {}

    package static func preflight(_ check: PreflightContext) throws {
        let inputs = try check.inputs(Inputs.self)
        let analysis = try MetricCheck.parse(inputs.analysis ?? nil)
        if inputs.alarms?.isEmpty ?? true, inputs.alarmPrefix == nil, check.inputs["alarms"] == nil, analysis.isEmpty,
            check.inputs["analysis"] == nil
        {
            throw StageFailure("alarm-watch needs with.alarms (names), with.alarm_prefix and/or with.analysis")
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
        let analysis = try MetricCheck.parse(try context.inputs(Inputs.self).analysis)
        guard let spec = try Self.watchedAlarms(context.inputs) else {
            guard !analysis.isEmpty else {
                throw StageFailure("alarm-watch needs with.alarms (names), with.alarm_prefix and/or with.analysis")
            }
            return try await Self.analyse(analysis, context: context)
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
        var judge = AnalysisJudge(checks: analysis, logger: logger)
        try await judge.look(target)
        let deadline = ContinuousClock.now + bake
        var checks = 1
        var failures = TransientFailures()
        let timer = context.bake()
        defer { timer.end() }
        var skipped: OperatorRequest?
        // Soon after the change, then further apart, up to poll_interval.
        var backoff = Backoff(ceiling: poll)
        while ContinuousClock.now < deadline {
            if let skip = try await timer.sleep(for: min(backoff.next(), deadline - ContinuousClock.now)) {
                skipped = skip
                break
            }
            checks += 1
            do {
                if let found = try await watched.check() { throw StageFailure(found.message) }
                try await judge.look(target)
                failures.reset()
            } catch let failure as StageFailure {
                throw failure
            } catch {
                try failures.absorb(error) { logger.warning("\($0)") }
            }
        }
        var outputs = StageOutputs([Outputs.alarmsChecked: .number(Double(watched.entries.count))])
        if let skipped {
            let watchedFor = DurationFormat.format(bake - (deadline - ContinuousClock.now))
            context.logger.info(
                "bake ended early by \(skipped.by) (\(skipped.from)) after \(watchedFor)\(skipped.comment.map { ": \($0)" } ?? ""); no alarm went to ALARM (\(checks) checks)\(judge.summary)"
            )
            outputs[Outputs.bakeSkippedBy] = .string(skipped.by)
            return outputs
        }
        context.logger.info(
            "no alarm went to ALARM in \(DurationFormat.format(bake)) (\(checks) checks)\(judge.summary)")
        return outputs
    }

    /// A bake judged by metric checks only (no alarm named).
    static func analyse(_ analysis: [MetricCheck], context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let inputs = try context.inputs(Inputs.self)
        var judge = AnalysisJudge(checks: analysis, logger: context.logger)
        if context.isDryRun {
            context.logger.info(
                "would judge \(analysis.count) metric check(s) for \(DurationFormat.format(inputs.bakeTime))")
            return StageOutputs([Outputs.alarmsChecked: 0])
        }
        try await judge.look(target)
        let deadline = ContinuousClock.now + inputs.bakeTime
        let timer = context.bake()
        defer { timer.end() }
        var backoff = Backoff(ceiling: inputs.pollInterval)
        while ContinuousClock.now < deadline {
            if let skip = try await timer.sleep(for: min(backoff.next(), deadline - ContinuousClock.now)) {
                context.logger.info("bake ended early by \(skip.by) (\(skip.from))\(judge.summary)")
                return StageOutputs([Outputs.alarmsChecked: 0, Outputs.bakeSkippedBy: .string(skip.by)])
            }
            try await judge.look(target)
        }
        context.logger.info("no metric check failed in \(DurationFormat.format(inputs.bakeTime))\(judge.summary)")
        return StageOutputs([Outputs.alarmsChecked: 0])
    }
}

/// The analysis checks over a bake: throws the first failure, says once when a check has no data.
struct AnalysisJudge {
    let checks: [MetricCheck]
    let logger: Logger
    var judged: Set<String> = []
    var unjudgedSaid: Set<String> = []

    init(checks: [MetricCheck], logger: Logger) {
        self.checks = checks
        self.logger = logger
    }

    mutating func look(_ target: any DeploymentTarget) async throws {
        for check in checks {
            let (failure, judged) = try await check.evaluate(target)
            if let failure { throw StageFailure(failure) }
            if judged {
                self.judged.insert(check.name)
            } else if unjudgedSaid.insert(check.name).inserted {
                logger.info("analysis \(check.name): no data yet in its \(DurationFormat.format(check.window)) window")
            }
        }
    }

    var summary: String {
        checks.isEmpty ? "" : "; \(judged.count) of \(checks.count) metric check(s) judged, none failed"
    }
}
