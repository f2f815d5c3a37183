import Foundation
import PipelineTestKit
import Testing

@testable import PipelineCore

/// A stage that changes the target (as rollback does), counting its runs in its outputs.
struct UndoStage: Stage {
    static let descriptor = StageDescriptor(
        name: "undo-change", summary: "changes the target", inputs: nil, safety: .changesTarget)
    init() {}
    func run(_ context: StageContext) async throws -> StageOutputs { ["undone": true] }
}

/// A stage that opens the exposure window and, while it runs, has the fake target's alarm fire.
struct ExposeStage: Stage {
    static let descriptor = StageDescriptor(
        name: "expose", summary: "opens the window", inputs: nil,
        safety: StageSafety(changesTarget: true, exposure: .opens))
    init() {}
    func run(_ context: StageContext) async throws -> StageOutputs {
        if let fake = try context.deploymentTarget() as? FakeDeploymentTarget {
            fake.setAlarm("web-5xx", "ALARM", reason: "Threshold Crossed")
        }
        try await context.sleep(for: .seconds(300))
        return [:]
    }
}

/// A stage that watches `web-5xx` (as alarm-watch does).
struct WatchStage: Stage {
    static let descriptor = StageDescriptor(name: "watch-alarms", summary: "watches", inputs: nil)
    init() {}
    static func watchedAlarms(_ inputs: StageInputs) throws -> AlarmWatchSpec? {
        AlarmWatchSpec(
            names: ["web-5xx"], prefix: nil, clearTimeout: .seconds(1), pollInterval: .milliseconds(50),
            ignoreAlreadyFiring: false)
    }
    func run(_ context: StageContext) async throws -> StageOutputs { [:] }
}

@Suite struct SafetyRunnerTests {
    static let registry = StageRegistry(TestStages.all + [UndoStage.self, ExposeStage.self, WatchStage.self])

    func run(_ yaml: String, target: FakeDeploymentTarget, lease: (any TargetLeaseCheck)? = nil) async throws
        -> RunRecord
    {
        let p = try PipelineLoader(registry: Self.registry, environment: nil)
            .load(text: "target: {provider: local, service: web}\n" + yaml, file: "p.yml")
        let record = RunRecord(
            id: "p-1", number: 1, pipeline: p, trigger: "manual",
            commit: CommitInfo(sha: String(repeating: "b", count: 40), branch: "main", message: "m", author: "a"),
            repository: nil, startedBy: "t", pid: 1, workingDirectory: "/", startedAt: Date(), dryRun: false)
        var services = ServiceBag()
        services.set(DeploymentTargetBox(target))
        let runner = Runner(registry: Self.registry, environment: [:], services: services)
        return await runner.run(
            Runner.Job(
                pipeline: p, record: record, source: InMemorySourceTree(), recorder: InMemoryRecorder(), lease: lease))
    }

    /// A lease that holds for `holds` confirmations, then is lost.
    final class CountingLease: TargetLeaseCheck, @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        private(set) var asked = 0
        init(holds: Int) { left = holds }
        func confirm() async throws {
            let ok = lock.withLock { () -> Bool in
                asked += 1
                left -= 1
                return left >= 0
            }
            if !ok { throw LeaseLost("another process took the lease") }
        }
    }

    /// A run whose lease lapsed stops before its next change: that stage never starts, on_failure does
    /// not run (the next holder recovers the run), and the run is recorded interrupted.
    @Test func aLostLeaseStopsTheRunBeforeItsNextChangeWithoutUndoing() async throws {
        let target = FakeDeploymentTarget()
        let lease = CountingLease(holds: 1)
        let record = try await run(
            """
            stages:
              - {uses: undo-change, id: first}
              - {uses: noop, id: look}
              - {uses: undo-change, id: second}
            on_failure:
              - {uses: undo-change, id: undo}
            """, target: target, lease: lease)
        #expect(record.status == .interrupted)
        #expect(record.error?.contains("another process took the lease") == true)
        #expect(record.stages.map(\.status) == [.succeeded, .succeeded, .pending, .pending])
        // Asked before each stage that changes the target (not before `look`), and never again after.
        #expect(lease.asked == 2)
    }

    @Test func failureBeforeAnyChangeSkipsUndoStagesButRunsTheOthers() async throws {
        let target = FakeDeploymentTarget()
        let record = try await run(
            """
            stages:
              - {uses: fail, id: build}
              - {uses: undo-change, id: deploy}
            on_failure:
              - {uses: undo-change, id: undo}
              - {uses: echo, id: notify}
            """, target: target)
        #expect(record.status == .rolledBack)
        #expect(record.stages.map(\.status) == [.failed, .skipped, .skipped, .succeeded])
        #expect(record.stages[2].error == "nothing was changed before the failure: nothing to undo")
    }

    @Test func alarmThatDoesNotClearFailsBeforeTheFirstChange() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "ALARM", reason: "left over")
        let record = try await run(
            """
            stages:
              - {uses: undo-change, id: register}
              - {uses: watch-alarms, id: bake}
            on_failure:
              - {uses: undo-change, id: rollback}
            """, target: target)
        #expect(record.status == .failed)
        #expect(record.stages[0].startedAt == nil)
        #expect(record.stages[0].error?.contains("still in ALARM after waiting") == true)
        #expect(record.stages[2].status == .skipped)
        #expect(target.calls.isEmpty)
    }

    @Test func alarmDuringTheExposureWindowFailsTheRunningStage() async throws {
        let target = FakeDeploymentTarget()
        target.setAlarm("web-5xx", "OK")
        let record = try await run(
            """
            stages:
              - {uses: expose, id: canary}
              - {uses: watch-alarms, id: bake}
            on_failure:
              - {uses: undo-change, id: rollback}
            """, target: target)
        #expect(record.status == .rolledBack)
        // Cut short by the guard, not failed by the check after its 300 s sleep.
        #expect((record.stages[0].durationMs ?? .max) < 150_000)
        #expect(record.stages[0].status == .failed)
        #expect(record.stages[0].error?.contains("alarm web-5xx went to ALARM") == true)
        #expect(record.stages[0].error?.contains("after stage canary started: Threshold Crossed") == true)
        #expect(record.alarmBaseline?.map(\.state) == ["OK"])
    }

    /// A guard's finding that arrives after its stage ended never fails the next stage (the rollback).
    @Test func lateGuardFailureIsDroppedForTheNextStage() {
        let control = RunControl()
        control.fail("alarm fired", stage: "bake")
        #expect(control.takeFailure(stage: "rollback") == nil)
        #expect(control.takeFailure(stage: "bake") == nil)
        control.fail("alarm fired", stage: "bake")
        #expect(control.takeFailure(stage: "bake") == "alarm fired")
    }
}
