import Foundation
import Synchronization

/// The alarms a run judges its deployment by, and their state just before the run changed anything.
///
/// Every later look compares with that baseline: an alarm that went to ALARM after it — even one that
/// went back to OK between two looks (found in the alarm's history) — is a finding. Only alarms that
/// were already in ALARM at the baseline and were explicitly ignored are let through, until they leave
/// ALARM once.
public final class AlarmGuard: Sendable {
    /// One alarm at the baseline.
    public struct Entry: Sendable, Hashable, Codable {
        /// The alarm.
        public var name: String
        /// Its state at the baseline.
        public var state: AlarmStateValue
        /// When that state began, by the platform's clock.
        public var updatedAt: Date?
        /// An entry.
        public init(name: String, state: AlarmStateValue, updatedAt: Date?) {
            self.name = name
            self.state = state
            self.updatedAt = updatedAt
        }
    }

    /// An alarm that went to ALARM after the baseline.
    public struct Finding: Sendable, Hashable {
        /// The alarm that went to ALARM.
        public var alarm: String
        /// When, by the platform's clock.
        public var at: Date
        /// The platform's reason.
        public var reason: String
        /// For people: what happened and when, relative to the window's start.
        public var message: String
    }

    let target: any DeploymentTarget
    /// What is watched: the union of every watching step's alarms.
    public let names: [String]
    /// Every alarm whose name starts with one of these is watched too.
    public let prefixes: [String]
    /// How often to look (the shortest of the watching steps' intervals).
    public let pollInterval: Duration
    /// The baseline, by alarm name.
    public let baseline: [String: Entry]
    /// When the baseline was taken, by this machine's clock.
    public let takenAt: Date
    private struct State {
        var ignored: Set<String>
        var windowStart: (label: String, at: Date)?
        var finding: Finding?
    }
    private let state: Mutex<State>

    init(
        target: any DeploymentTarget, names: [String], prefixes: [String], pollInterval: Duration,
        baseline: [String: Entry], ignored: Set<String>, takenAt: Date
    ) {
        self.target = target
        self.names = names
        self.prefixes = prefixes
        self.pollInterval = pollInterval
        self.baseline = baseline
        self.takenAt = takenAt
        state = Mutex(State(ignored: ignored, windowStart: nil, finding: nil))
    }

    /// The alarms now (names and every prefix), de-duplicated.
    func current() async throws -> [AlarmState] {
        var out = try await target.alarms(names: names, prefix: nil)
        for prefix in prefixes { out += try await target.alarms(names: [], prefix: prefix) }
        var seen = Set<String>()
        return out.filter { seen.insert($0.name).inserted }
    }

    /// Takes the baseline of the alarms `specs` name. An alarm in ALARM holds the run (nothing has changed
    /// yet) until it clears, for at most the longest `clearTimeout`; then this throws, naming it.
    /// Alarms of specs with `ignoreAlreadyFiring` do not hold the run: they are ignored until they recover.
    public static func take(
        target: any DeploymentTarget, specs: [AlarmWatchSpec], clock: any Clock<Duration>,
        note: @Sendable (String) -> Void
    ) async throws -> AlarmGuard {
        let names = Array(Set(specs.flatMap(\.names))).sorted()
        let prefixes = Array(Set(specs.compactMap(\.prefix))).sorted()
        let poll = specs.map(\.pollInterval).min() ?? .seconds(10)
        let clearTimeout = specs.map(\.clearTimeout).max() ?? .seconds(600)
        let ignoring = specs.contains(where: \.ignoreAlreadyFiring)
        let probe = AlarmGuard(
            target: target, names: names, prefixes: prefixes, pollInterval: poll, baseline: [:], ignored: [],
            takenAt: Date())
        let started = ContinuousClock.now
        var announced = Set<String>()
        while true {
            let alarms = try await probe.current()
            let missing = Set(names).subtracting(alarms.map(\.name))
            if !missing.isEmpty {
                throw StageFailure(
                    "alarm(s) not found: \(missing.sorted().joined(separator: ", ")) — check with.alarms")
            }
            if alarms.isEmpty, let prefix = prefixes.first {
                throw StageFailure("no alarm starts with '\(prefix)'")
            }
            let firing = alarms.filter { $0.state == .alarm }
            if firing.isEmpty || ignoring {
                let entries = Dictionary(
                    uniqueKeysWithValues: alarms.map {
                        ($0.name, Entry(name: $0.name, state: $0.state, updatedAt: $0.updatedAt))
                    })
                for alarm in firing {
                    note("alarm \(alarm.name) is in ALARM at the baseline; ignored until it leaves ALARM")
                }
                return AlarmGuard(
                    target: target, names: names, prefixes: prefixes, pollInterval: poll, baseline: entries,
                    ignored: Set(firing.map(\.name)), takenAt: Date())
            }
            let waited = ContinuousClock.now - started
            let list = firing.map { describe($0) }.joined(separator: "; ")
            if waited >= clearTimeout {
                throw StageFailure(
                    "alarm(s) still in ALARM after waiting \(DurationFormat.format(clearTimeout)) before any change: \(list); nothing was changed"
                )
            }
            for alarm in firing where !announced.contains(alarm.name) {
                announced.insert(alarm.name)
                note(
                    "alarm \(alarm.name) is in ALARM before the run changed anything: waiting up to \(DurationFormat.format(clearTimeout)) for it to clear (\(describe(alarm)))"
                )
            }
            try await clock.sleep(for: min(poll, clearTimeout - waited), tolerance: nil)
        }
    }

    static func describe(_ alarm: AlarmState) -> String {
        var text = "\(alarm.name): \(alarm.reason.isEmpty ? "(no reason given)" : alarm.reason)"
        if let at = alarm.updatedAt { text += " (since \(Timestamp.seconds(at)))" }
        return text
    }

    /// Marks where new code starts taking traffic; findings are worded relative to it.
    public func openWindow(label: String, at: Date = Date()) {
        state.withLock { if $0.windowStart == nil { $0.windowStart = (label, at) } }
    }

    /// The first finding so far, if any (kept once found).
    public var finding: Finding? { state.withLock { $0.finding } }

    /// Looks at the alarms once; returns the first transition to ALARM after the baseline, if any.
    public func check() async throws -> Finding? {
        if let found = finding { return found }
        let alarms = try await current()
        var changed: [AlarmState] = []
        for alarm in alarms {
            let base = baseline[alarm.name]
            let ignored = state.withLock { $0.ignored.contains(alarm.name) }
            if ignored {
                if alarm.state != .alarm {
                    state.withLock { _ = $0.ignored.remove(alarm.name) }
                } else if base?.updatedAt == alarm.updatedAt {
                    continue
                }
            }
            if base == nil || base?.updatedAt != alarm.updatedAt || base?.state != alarm.state {
                changed.append(alarm)
            }
        }
        guard !changed.isEmpty else { return nil }
        var found: Finding?
        for alarm in changed {
            let base = baseline[alarm.name]
            // The alarm's own timestamps are the platform's clock: compare with them, not with ours.
            let since = base?.updatedAt ?? takenAt.addingTimeInterval(-300)
            let history = try await target.alarmHistory(names: [alarm.name], prefix: nil, since: since)
            // An alarm in ALARM at the baseline was let through (ignored): only ALARM after leaving it counts.
            var leftAlarm = base?.state != .alarm
            var hit: AlarmTransition?
            for item in history.sorted(by: { $0.at < $1.at }) where base?.updatedAt.map({ item.at > $0 }) ?? true {
                if item.to != .alarm {
                    leftAlarm = true
                } else if leftAlarm {
                    hit = item
                    break
                }
            }
            if hit == nil, alarm.state == .alarm, leftAlarm {
                // History may lag (or be unavailable): the current state is evidence enough.
                hit = AlarmTransition(
                    alarm: alarm.name, at: alarm.updatedAt ?? Date(), from: base?.state ?? "?",
                    to: .alarm, reason: alarm.reason)
            }
            if let hit, found.map({ hit.at < $0.at }) ?? true {
                found = Finding(alarm: hit.alarm, at: hit.at, reason: hit.reason, message: message(hit))
            }
        }
        if let found { state.withLock { if $0.finding == nil { $0.finding = found } } }
        return finding
    }

    func message(_ hit: AlarmTransition) -> String {
        let reason = hit.reason.isEmpty ? "(no reason given)" : hit.reason
        let window = state.withLock { $0.windowStart }
        let when: String
        if let window, hit.at >= window.at.addingTimeInterval(-1) {
            when = "\(seconds(hit.at.timeIntervalSince(window.at)))s after \(window.label) started"
        } else if let window {
            when =
                "\(seconds(hit.at.timeIntervalSince(takenAt)))s after the alarm baseline, before \(window.label) started"
        } else {
            when = "\(seconds(hit.at.timeIntervalSince(takenAt)))s after the alarm baseline"
        }
        return "alarm \(hit.alarm) went to ALARM \(when): \(reason)"
    }

    private func seconds(_ interval: TimeInterval) -> Int { max(0, Int(interval.rounded())) }

    /// The baseline as recorded in the run record.
    public var entries: [Entry] { baseline.values.sorted { $0.name < $1.name } }
}

/// Holds the run's alarm guard in `StageContext.services`.
public struct AlarmGuardBox: Sendable {
    /// The run's guard.
    public let alarmGuard: AlarmGuard
    /// Wraps the guard.
    public init(_ alarmGuard: AlarmGuard) { self.alarmGuard = alarmGuard }
}
