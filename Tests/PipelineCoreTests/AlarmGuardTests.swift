import Foundation
import PipelineCore
import PipelineTestKit
import Testing

/// The alarm baseline and guard against a fake target whose alarms keep a history.
@Suite struct AlarmGuardTests {
    static func spec(clear: Duration = .seconds(5), ignore: Bool = false) -> AlarmWatchSpec {
        AlarmWatchSpec(
            names: ["web-5xx"], prefix: nil, clearTimeout: clear, pollInterval: .milliseconds(20),
            ignoreAlreadyFiring: ignore)
    }

    static func take(_ target: FakeDeploymentTarget, _ spec: AlarmWatchSpec) async throws -> AlarmGuard {
        try await AlarmGuard.take(target: target, specs: [spec], clock: ContinuousClock(), note: { _ in })
    }

    @Test func alarmThatWentToAlarmAndBackBetweenTwoLooksIsFound() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "OK")
        let watched = try await Self.take(target, Self.spec())
        #expect(try await watched.check() == nil)
        watched.openWindow(label: "the canary")
        try await Task.sleep(for: .milliseconds(5))
        target.setAlarm("web-5xx", "ALARM", reason: "Threshold Crossed: 5xx > 1")
        target.setAlarm("web-5xx", "OK", reason: "back")
        let found = try #require(try await watched.check())
        #expect(found.alarm == "web-5xx")
        #expect(found.message.hasPrefix("alarm web-5xx went to ALARM "))
        #expect(found.message.contains("s after the canary started: "))
        #expect(found.message.hasSuffix(": Threshold Crossed: 5xx > 1"))
    }

    @Test func preExistingAlarmHoldsUntilItClearsOrTheTimeout() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "ALARM", reason: "left over")
        await #expect(throws: StageFailure.self) {
            _ = try await Self.take(target, Self.spec(clear: .milliseconds(100)))
        }
        let clearing = Task {
            try await Task.sleep(for: .milliseconds(100))
            target.setAlarm("web-5xx", "OK")
        }
        let watched = try await Self.take(target, Self.spec(clear: .seconds(10)))
        try await clearing.value
        #expect(watched.entries.map(\.state) == ["OK"])
        #expect(try await watched.check() == nil)
    }

    @Test func insufficientDataToAlarmIsFoundEvenWhenIgnoringFiringAlarms() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "INSUFFICIENT_DATA")
        let watched = try await Self.take(target, Self.spec(ignore: true))
        target.setAlarm("web-5xx", "ALARM")
        #expect(try await watched.check() != nil)
    }

    @Test func ignoredFiringAlarmCountsAgainOnceItLeftAlarm() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "ALARM", reason: "old")
        let watched = try await Self.take(target, Self.spec(ignore: true))
        #expect(try await watched.check() == nil)
        try await Task.sleep(for: .milliseconds(5))
        target.setAlarm("web-5xx", "OK")
        #expect(try await watched.check() == nil)
        target.setAlarm("web-5xx", "ALARM", reason: "new")
        #expect(try await watched.check()?.reason == "new")
    }

    @Test func missingAlarmIsReported() async throws {
        let target = FakeDeploymentTarget()
        await #expect(throws: StageFailure.self) { _ = try await Self.take(target, Self.spec()) }
    }
}
