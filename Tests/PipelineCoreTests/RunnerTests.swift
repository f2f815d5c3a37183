import Foundation
import PipelineTestKit
import Testing

@testable import PipelineCore

/// A stage that waits until cancelled, recording that it saw the cancellation.
struct BlockStage: Stage {
    static let descriptor = StageDescriptor(name: "block", summary: "waits until cancelled", inputs: nil)
    init() {}
    func run(_ context: StageContext) async throws -> StageOutputs {
        context.logger.info("blocking")
        try await context.sleep(for: .seconds(3600))
        return [:]
    }
}

/// A stage that logs a secret from the environment, then fails with it in the message.
struct LeakyStage: Stage {
    static let descriptor = StageDescriptor(name: "leaky", summary: "tries to leak a secret", inputs: nil)
    init() {}
    func run(_ context: StageContext) async throws -> StageOutputs {
        let secret = context.environment["AWS_SECRET_ACCESS_KEY"] ?? ""
        context.logger.info("using key \(secret)")
        throw StageFailure("request signed with \(secret) was refused")
    }
}

@Suite struct RunnerTests {
    static let registry = StageRegistry(TestStages.all + [BlockStage.self, LeakyStage.self])

    func pipeline(_ yaml: String) throws -> Pipeline {
        try PipelineLoader(registry: Self.registry, environment: nil)
            .load(text: "target: {provider: local, service: web}\n" + yaml, file: "p.yml")
    }

    func run(
        _ p: Pipeline, environment: [String: String] = [:], control: RunControl = RunControl()
    ) async -> (RunRecord, InMemoryRecorder) {
        let recorder = InMemoryRecorder()
        let record = RunRecord(
            id: "\(p.name)-1", number: 1, pipeline: p, trigger: "manual",
            commit: CommitInfo(sha: String(repeating: "b", count: 40), branch: "main", message: "m", author: "a"),
            repository: nil, startedBy: "t", pid: 1, workingDirectory: "/", startedAt: Date(), dryRun: false)
        let runner = Runner(registry: Self.registry, environment: environment)
        let final = await runner.run(
            Runner.Job(pipeline: p, record: record, source: InMemorySourceTree(), recorder: recorder, control: control))
        return (final, recorder)
    }

    @Test func runsStagesInOrderAndPassesOutputs() async throws {
        let p = try pipeline(
            """
            stages:
              - {uses: echo, id: a, with: {v: "${{ commit.short_sha }}"}}
              - {uses: echo, id: b, with: {w: "from-${{ stages.a.outputs.v }}"}}
            """)
        let (record, recorder) = await run(p)
        #expect(record.status == .succeeded)
        #expect(record.stages.map(\.status) == [.succeeded, .succeeded])
        #expect(record.stages[1].outputs["w"] == "from-bbbbbbb")
        let types = recorder.events.map(\.type)
        #expect(types == [.runStarted, .stageStarted, .stageFinished, .stageStarted, .stageFinished, .runFinished])
        #expect(recorder.lastRecord?.status == .succeeded)
    }

    @Test func failureStopsAndRunsOnFailureWhichSeesWhy() async throws {
        let p = try pipeline(
            """
            stages:
              - {uses: noop}
              - {uses: fail, with: {message: kaboom}}
              - {uses: echo, id: never}
            on_failure:
              - {uses: echo, id: undo}
            """)
        let (record, _) = await run(p)
        #expect(record.status == .rolledBack)
        #expect(record.stages.map(\.status) == [.succeeded, .failed, .skipped, .succeeded])
        #expect(record.stages[3].outputs["failed_stage"] == "fail")
        #expect(record.stages[3].outputs["failure_message"] == "kaboom")
        #expect(record.error == "stage 'fail' failed: kaboom")
    }

    @Test func failingOnFailureMeansFailed() async throws {
        let p = try pipeline("stages:\n  - {uses: fail}\non_failure:\n  - {uses: fail, id: undo}\n  - {uses: noop}\n")
        let (record, _) = await run(p)
        #expect(record.status == .failed)
        #expect(record.stages.map(\.status) == [.failed, .failed, .succeeded])
    }

    @Test func noOnFailureMeansFailed() async throws {
        let (record, _) = await run(try pipeline("stages:\n  - {uses: fail}\n"))
        #expect(record.status == .failed)
    }

    @Test func timeoutFailsTheStage() async throws {
        let p = try pipeline("stages:\n  - {uses: block, timeout: 200ms}\non_failure:\n  - {uses: noop}\n")
        let started = ContinuousClock.now
        let (record, _) = await run(p)
        #expect(ContinuousClock.now - started < .seconds(60), "the timeout did not stop the stage")
        #expect(record.stages[0].status == .timedOut)
        #expect(record.stages[0].error == "timed out after 200ms")
        #expect(record.status == .rolledBack)
    }

    @Test func cancellationCancelsTheStageAndStillRunsOnFailure() async throws {
        let p = try pipeline("stages:\n  - {uses: block}\n  - {uses: noop}\non_failure:\n  - {uses: echo, id: undo}\n")
        let control = RunControl()
        let canceller = Task {
            try await Task.sleep(for: .milliseconds(300))
            control.cancel(reason: "SIGINT received")
        }
        let (record, _) = await run(p, control: control)
        _ = await canceller.result
        #expect(record.stages.map(\.status) == [.cancelled, .skipped, .succeeded])
        #expect(record.stages[0].error?.contains("SIGINT") == true)
        #expect(record.status == .rolledBack)
    }

    @Test func runtimeExpressionErrorsFailTheStage() async throws {
        let p = try pipeline("stages:\n  - {uses: echo, with: {x: \"${{ env.NOPE }}\"}}\n")
        let (record, _) = await run(p)
        #expect(record.status == .failed)
        #expect(record.stages[0].error?.contains("NOPE is not set") == true)
    }

    @Test func secretsNeverReachLogsErrorsOrOutputs() async throws {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let p = try pipeline("stages:\n  - {uses: leaky}\n")
        let (record, recorder) = await run(p, environment: ["AWS_SECRET_ACCESS_KEY": secret])
        #expect(record.status == .failed)
        #expect(record.stages[0].error == "request signed with *** was refused")
        let logs = recorder.logLines("leaky").joined(separator: "\n")
        #expect(logs.contains("using key ***"))
        #expect(!logs.contains(secret))
        #expect(!(record.error ?? "").contains(secret))
    }
}
