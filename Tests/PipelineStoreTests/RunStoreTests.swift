import Foundation
import PipelineCore
import PipelineTestKit
import Testing

@testable import PipelineStore

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "pipeline-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func samplePipeline(_ name: String = "web") -> Pipeline {
    Pipeline(
        name: name, file: "pipelines/\(name).yml", target: TargetConfig(settings: ["service": .string(name)]),
        stages: [Step(id: "a", uses: "noop")])
}

let sampleCommit = CommitInfo(sha: String(repeating: "c", count: 40), branch: "main", message: "msg", author: "me")

@Suite struct RunStoreTests {
    @Test func stateFolderIsPrivate() throws {
        let root = temporaryFolder() + "/state"
        _ = try RunStore(root: root)
        let mode = try FileManager.default.attributesOfItem(atPath: root)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func numbersCountUpPerPipelineAndAreNeverReused() throws {
        let store = try RunStore(root: temporaryFolder())
        var ids: [String] = []
        for name in ["web", "api", "web", "web"] {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(name), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            ids.append(record.id)
            _ = recorder
        }
        #expect(ids == ["web-1", "api-1", "web-2", "web-3"])
        // A removed run folder does not free its number.
        try FileManager.default.removeItem(atPath: "\(store.root)/runs/web/3")
        let (_, next) = try store.createRun(
            pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
        #expect(next.id == "web-4")
    }

    @Test func concurrentCreationGivesUniqueIDs() async throws {
        let store = try RunStore(root: temporaryFolder())
        let ids = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try? store.createRun(
                        pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil,
                        dryRun: false
                    ).record.id
                }
            }
            var out: [String] = []
            for await id in group { if let id { out.append(id) } }
            return out
        }
        #expect(ids.count == 40)
        #expect(Set(ids).count == 40)
        #expect(try store.list(limit: 100).count == 40)
    }

    @Test func listsNewestFirstWithFilters() throws {
        let store = try RunStore(root: temporaryFolder())
        for (i, name) in ["web", "api", "web", "api", "web"].enumerated() {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(name), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            var final = record
            final.status = i % 2 == 0 ? .succeeded : .failed
            final.endedAt = Date()
            try recorder.write(final)
        }
        #expect(try store.list().map(\.id) == ["web-3", "api-2", "web-2", "api-1", "web-1"])
        #expect(try store.list(pipeline: "api").map(\.id) == ["api-2", "api-1"])
        #expect(try store.list(status: .succeeded, limit: 2).map(\.id) == ["web-3", "web-2"])
        #expect(try store.list(pipeline: "api", status: .succeeded).isEmpty)
    }

    @Test func abandonedRunIsReportedInterrupted() throws {
        let store = try RunStore(root: temporaryFolder())
        var id = ""
        do {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            id = record.id
            var running = record
            running.stages[0].status = .running
            try recorder.write(running)
            // While the recorder (and its owner lock) is alive, the run is running.
            #expect(try store.load(runID: id).status == .running)
            #expect(try store.list().first?.status == .running)
        }
        // The recorder is gone, as if the process died: the kernel released the lock.
        let record = try store.load(runID: id)
        #expect(record.status == .interrupted)
        #expect(record.stages[0].status == .cancelled)
        #expect(try store.list().first?.status == .interrupted)
    }

    /// A process that died between recording its run and starting the first stage (e.g. during the
    /// pipeline file's fsync, before its lock named the run) changed nothing: the run reads failed, so
    /// that no `interrupted` run is left that no recovery can find.
    @Test func aRunAbandonedBeforeAnyStageReadsFailed() throws {
        let store = try RunStore(root: temporaryFolder())
        var id = ""
        do {
            let (_, record) = try store.createRun(
                pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            id = record.id
        }
        let record = try store.load(runID: id)
        #expect(record.status == .failed)
        #expect(record.error?.contains("died before the run started any stage: nothing was changed") == true)
        #expect(record.endedAt != nil)
        #expect(try store.list().first?.status == .failed)
    }

    @Test func corruptRunJSONIsAClearErrorAndOthersStillList() throws {
        let store = try RunStore(root: temporaryFolder())
        for _ in 0..<2 {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            var done = record
            done.status = .succeeded
            try recorder.write(done)
        }
        try Data("{\"id\": \"web-1\", trunc".utf8).write(to: URL(fileURLWithPath: "\(store.root)/runs/web/1/run.json"))
        do {
            _ = try store.load(runID: "web-1")
            Issue.record("expected an error")
        } catch let error as PipelineError {
            #expect(error.code == .corruptRecord)
            #expect(error.message.contains("runs/web/1/run.json is corrupt"))
        }
        #expect(try store.list().map(\.id) == ["web-2", "web-1"])
    }

    @Test func truncatedLastEventLineIsSkipped() throws {
        let store = try RunStore(root: temporaryFolder())
        let (recorder, record) = try store.createRun(
            pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
        try recorder.append(RunEvent(.runStarted, run: record.id))
        try recorder.append(RunEvent(.stageStarted, run: record.id, stage: "a"))
        let path = "\(store.root)/runs/web/1/events.jsonl"
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data("{\"type\":\"stage_fin".utf8))
        try handle.close()
        let events = try store.events(runID: record.id)
        #expect(events.map(\.type) == [.runStarted, .stageStarted])
    }

    @Test func badRunIDs() throws {
        let store = try RunStore(root: temporaryFolder())
        #expect(throws: PipelineError.self) { try store.load(runID: "nonsense") }
        #expect(throws: PipelineError.self) { try store.load(runID: "../etc-1") }
        do {
            _ = try store.load(runID: "web-99")
        } catch let error as PipelineError {
            #expect(error.code == .notFound)
        }
    }

    @Test func targetLockIsExclusive() async throws {
        let store = try RunStore(root: temporaryFolder())
        let first = try await store.acquireLock(
            key: "aws/us-east-1/demo/web", holder: LeaseHolder(purpose: "web-1"), wait: false
        ) { _ in }
        do {
            _ = try await store.acquireLock(
                key: "aws/us-east-1/demo/web", holder: LeaseHolder(purpose: "web-2"), wait: false
            ) { _ in }
            Issue.record("expected the lock to be taken")
        } catch let error as PipelineError {
            #expect(error.code == .locked)
            #expect(error.message.contains("web-1"))
        }
        // Another target is independent.
        let other = try await store.acquireLock(
            key: "aws/us-east-1/demo/api", holder: LeaseHolder(purpose: "api-1"), wait: false
        ) { _ in }
        await other.release()
        await first.release()
        // Released: the next holder takes it at once.
        let again = try await store.tryLock(key: "aws/us-east-1/demo/web", holder: LeaseHolder(purpose: "web-3"))
        #expect(again != nil)
    }

    @Test func historyFindsTheLastSucceededNonDryRun() async throws {
        let store = try RunStore(root: temporaryFolder())
        for (status, dry, rev) in [
            (RunStatus.succeeded, false, "r1"), (.failed, false, "r2"), (.succeeded, true, "r3"),
        ] {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: dry)
            var done = record
            done.status = status
            done.stages[0].status = .succeeded
            done.stages[0].outputs = ["rev": .string(rev)]
            try recorder.write(done)
        }
        let outputs = try await StoreHistory(store: store).lastSucceededOutputs(pipeline: "web")
        #expect(outputs?["a"]?["rev"] == "r1")
    }

    @Test func liveAndCrashedRunsReplayEventsOntoTheSnapshot() throws {
        let store = try RunStore(root: temporaryFolder())
        var id = ""
        do {
            let (recorder, record) = try store.createRun(
                pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false)
            id = record.id
            try recorder.append(RunEvent(.stageStarted, run: id, stage: "a"))
            // run.json still says pending; the event says running.
            #expect(try store.load(runID: id).stages[0].status == .running)
            try recorder.append(
                RunEvent(.stageFinished, run: id, stage: "a", status: "succeeded", durationMs: 5, outputs: ["k": "v"]))
            let live = try store.load(runID: id)
            #expect(live.stages[0].status == .succeeded)
            #expect(live.stages[0].outputs["k"] == "v")
            #expect(live.status == .running)
        }
        let crashed = try store.load(runID: id)
        #expect(crashed.status == .interrupted)
        #expect(crashed.stages[0].status == .succeeded)
    }
}
