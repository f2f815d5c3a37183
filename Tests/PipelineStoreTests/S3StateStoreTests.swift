import Foundation
import PipelineCore
import PipelineStore
import PipelineTestSupport
import Testing

@testable import PipelineStoreS3

/// The S3 state on moto's S3 (which checks If-None-Match and If-Match, made atomic as on S3).
@Suite(.serialized) struct S3StateStoreTests {
    static func store(ttl: Duration = .seconds(3), bucket: String? = nil) async throws -> S3StateStore {
        let moto = try await offThread { try Moto.shared() }
        let name = bucket ?? "state-\(UUID().uuidString.prefix(8).lowercased())"
        try await offThread { _ = try Moto.fixture(moto.endpoint, "bucket", name) }
        return try S3StateStore(
            url: "s3://\(name)/team/web", environment: S3StateStoreTests.environment(moto.endpoint),
            localRoot: temporaryFolder(), ttl: ttl)
    }

    static func environment(_ endpoint: String) -> [String: String] {
        [
            "AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }

    @Test func parsesLocationsAndRefusesBadOnes() throws {
        #expect(S3StateStore.parse("s3://bucket/a/b")! == ("bucket", "a/b"))
        #expect(S3StateStore.parse("s3://bucket")! == ("bucket", ""))
        #expect(S3StateStore.parse("/tmp/x") == nil)
        #expect(throws: PipelineError.self) {
            try S3StateStore(url: "s3://Bad_Bucket/x", environment: [:], localRoot: "/tmp", ttl: .seconds(30))
        }
        #expect(throws: PipelineError.self) {
            try S3StateStore(url: "s3://ok-bucket/x", environment: [:], localRoot: "/tmp", ttl: .seconds(1))
        }
    }

    /// A run's summary in memory and the same summary read back from run.json (milliseconds) name one
    /// index entry: a repaired or recovered run must not be listed twice.
    @Test func indexEntriesDoNotDependOnSubMillisecondTime() throws {
        let layout = S3Layout(prefix: "p")
        for fraction in stride(from: 0.0, to: 0.001, by: 0.0000371) {
            var record = RunRecord(
                id: "web-1", number: 1, pipeline: samplePipeline(), trigger: "push", commit: sampleCommit,
                repository: nil, startedBy: "t", pid: 1, workingDirectory: "/",
                startedAt: Date(timeIntervalSince1970: 1_795_000_000.363 + fraction), dryRun: false)
            record.status = .running
            let readBack = try StateCoding.decoder.decode(
                RunRecord.self, from: try StateCoding.encoder.encode(record))
            #expect(layout.indexEntry(RunSummary(record)) == layout.indexEntry(RunSummary(readBack)))
        }
    }

    @Test func missingBucketIsBadInput() async throws {
        let moto = try await offThread { try Moto.shared() }
        let store = try S3StateStore(
            url: "s3://no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())/x",
            environment: Self.environment(moto.endpoint), localRoot: temporaryFolder(), ttl: .seconds(30))
        await #expect(throws: PipelineError.self) { try await store.check() }
    }

    @Test func concurrentRunsGetUniqueNumbersAndListNewestFirst() async throws {
        let store = try await Self.store()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await store.startRun(
                        pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil,
                        dryRun: false, status: .succeeded
                    ).record.id
                }
            }
            var out: [String] = []
            for try await id in group { out.append(id) }
            return out
        }
        #expect(Set(ids).count == 12)
        #expect(Set(ids) == Set((1...12).map { "web-\($0)" }))
        _ = try await store.startRun(
            pipeline: samplePipeline("api"), trigger: "push", commit: sampleCommit, repository: nil, dryRun: false,
            status: .failed)
        let listed = try await store.list(pipeline: nil, status: nil, limit: 5, includeDryRuns: true)
        #expect(listed.count == 5)
        #expect(listed.first?.id == "api-1")
        #expect(zip(listed, listed.dropFirst()).allSatisfy { $0.startedAt >= $1.startedAt })
        let failed = try await store.list(pipeline: nil, status: .failed, limit: 5, includeDryRuns: true)
        #expect(failed.map(\.id) == ["api-1"])
        let web = try await store.list(pipeline: "web", status: nil, limit: 50, includeDryRuns: true)
        #expect(web.count == 12)
        #expect(try await store.pipelinesWithRuns() == ["api", "web"])
    }

    @Test func recordJournalAndIndexReachTheBucketOnFlush() async throws {
        let store = try await Self.store()
        // A run holds its target's lock (this process's): that is what keeps it alive for readers.
        let lock = try #require(
            try await store.tryLock(key: samplePipeline().target.lockKey, holder: LeaseHolder(purpose: "test")))
        defer { Task { await lock.release() } }
        let (recorder, record) = try await store.startRun(
            pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false,
            status: .running)
        var running = record
        running.stages[0].status = .running
        try recorder.write(running)
        try recorder.append(RunEvent(.stageStarted, run: record.id, stage: "a"))
        recorder.log(stage: "a").write("first line")
        try recorder.artifacts.save("task-definition.json", data: Data("{}".utf8))
        // Nothing but the start is in the bucket before a flush.
        #expect(try await store.events(runID: record.id).isEmpty)
        try await recorder.flush()
        #expect(try await store.events(runID: record.id).map(\.type) == [.stageStarted])
        #expect(try await store.load(runID: record.id).stages[0].status == .running)
        recorder.log(stage: "a").write("second line")
        var done = running
        done.status = .succeeded
        done.stages[0].status = .succeeded
        try recorder.write(done)
        try recorder.append(RunEvent(.runFinished, run: record.id, status: "succeeded"))
        try await recorder.flush()
        let log = try await store.logContents(runID: record.id, stage: "a")
        #expect(log.map { String(decoding: $0, as: UTF8.self) } == "first line\nsecond line\n")
        #expect(try await store.events(runID: record.id).count == 2)
        #expect(try await store.list(pipeline: "web", status: .succeeded, limit: 1, includeDryRuns: true).count == 1)
        #expect(try await store.s3.get(store.layout.artifact(record.id, "task-definition.json")) != nil)
    }

    @Test func aRecordChangedByAnotherProcessRefusesTheOldOwner() async throws {
        let store = try await Self.store()
        let (recorder, record) = try await store.startRun(
            pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false,
            status: .running)
        // Another process recovers it (reopening reads its ETag and writes over it).
        let (other, _) = try await Self.reopenAsDead(store, record)
        var recovered = record
        recovered.status = .rolledBack
        try other.write(recovered)
        try await other.flush()
        try recorder.write(record)
        await #expect(throws: LeaseLost.self) { try await recorder.flush() }
        #expect(try await store.load(runID: record.id).status == .rolledBack)
    }

    /// Reopens a run as a recovering process would once its owner is gone (no lock names it).
    static func reopenAsDead(_ store: S3StateStore, _ record: RunRecord) async throws -> (any RunRecorder, RunRecord) {
        try await store.reopenForRecovery(runID: record.id)
    }

    @Test func aRunningRecordWithoutALiveLockIsRepaired() async throws {
        let store = try await Self.store()
        let (_, record) = try await store.startRun(
            pipeline: samplePipeline(), trigger: "manual", commit: sampleCommit, repository: nil, dryRun: false,
            status: .running)
        // Its target's lock held by another process that has not named its run yet: counted alive.
        let lock = try #require(
            try await store.tryLock(
                key: record.target.lockKey, holder: LeaseHolder(purpose: "test", host: "ci@elsewhere", pid: 9)))
        #expect(try await store.load(runID: record.id).status == .running)
        // Named: alive.
        try await lock.attach(runID: record.id)
        #expect(try await store.load(runID: record.id).status == .running)
        await lock.release()
        // Its process gone before any stage started: nothing was changed, so nothing is left to
        // recover — the run reads failed, saying so (a run that had started a stage reads interrupted).
        let repaired = try await store.load(runID: record.id)
        #expect(repaired.status == .failed)
        #expect(repaired.error?.contains("died before the run started any stage: nothing was changed") == true)
        let listed = try await store.list(pipeline: "web", status: nil, limit: 5, includeDryRuns: true)
        #expect(listed.contains { $0.id == record.id && $0.status == .failed })
        #expect(!listed.contains { $0.status == .running })
    }

    @Test func locksAreExclusiveNameTheirHolderAndLapseAfterTheTTL() async throws {
        let store = try await Self.store(ttl: .seconds(3))
        let key = "aws/us-east-1/demo/web"
        let first = try #require(try await store.tryLock(key: key, holder: LeaseHolder(purpose: "web (run)")))
        try await first.markActive("web-7")
        #expect(try await store.tryLock(key: key, holder: LeaseHolder(purpose: "other")) == nil)
        let holder = await store.lockHolder(key: key)
        #expect(holder?.contains("run web-7") == true)
        #expect(holder?.contains("pid \(getpid())") == true)
        do {
            _ = try await store.acquireLock(key: key, holder: LeaseHolder(purpose: "second"), wait: false) { _ in }
            Issue.record("expected .locked")
        } catch let error as PipelineError {
            #expect(error.code == .locked)
            #expect(error.message.contains("web-7"))
        }
        // The heartbeat keeps it past its TTL while the holder lives.
        try await Task.sleep(for: .seconds(4))
        #expect(try await store.tryLock(key: key, holder: LeaseHolder(purpose: "other")) == nil)
        try await first.confirm()
        #expect(await store.abandonedTargets().isEmpty)
        // A holder that stops renewing (as a killed process does) loses it after the TTL; the next holder
        // sees the run it was changing, with a higher fencing token.
        let token = (first as! S3Lease).token
        (first as! S3Lease).stopRenewingForTest()
        try await Task.sleep(for: .seconds(3.5))
        #expect(await store.abandonedTargets().map(\.runID) == ["web-7"])
        let second = try #require(try await store.tryLock(key: key, holder: LeaseHolder(purpose: "recovery")))
        #expect(await second.abandonedRun() == "web-7")
        #expect((second as! S3Lease).token == token + 1)
        // The old holder finds out before its next change, and never writes again.
        await #expect(throws: LeaseLost.self) { try await first.confirm() }
        await #expect(throws: LeaseLost.self) { try await first.markActive("web-8") }
        await second.clearActive()
        await second.release()
        #expect(try await store.tryLock(key: key, holder: LeaseHolder(purpose: "third")) != nil)
    }

    /// A holder cut off from S3 (its proxy to the bucket dies) counts its lease lost two thirds of a
    /// TTL after its last renewal — before any other process can take it — and refuses to go on.
    @Test func aHolderPartitionedFromS3StopsBeforeAnotherCanTakeOver() async throws {
        let moto = try await offThread { try Moto.shared() }
        let direct = try await Self.store(ttl: .seconds(3))
        let bucket = String(direct.location.dropFirst(5).split(separator: "/")[0])
        let proxy = try await offThread {
            try SupportServer(script: "fault_proxy.py", arguments: ["--upstream", moto.endpoint])
        }
        var env = Self.environment(moto.endpoint)
        env["AWS_ENDPOINT_URL_S3"] = proxy.endpoint
        let partitioned = try S3StateStore(
            url: "s3://\(bucket)/team/web", environment: env, localRoot: temporaryFolder(), ttl: .seconds(3))
        let key = "aws/us-east-1/demo/cut"
        let lease = try #require(try await partitioned.tryLock(key: key, holder: LeaseHolder(purpose: "cut off")))
        try await lease.markActive("web-9")
        try await lease.confirm()
        let cut = ContinuousClock.now
        await offThread {
            proxy.process.terminate()
            proxy.process.waitUntilExit()
        }
        var lostAfter: Duration?
        while ContinuousClock.now - cut < .seconds(6) {
            do { try await lease.confirm() } catch is LeaseLost {
                lostAfter = ContinuousClock.now - cut
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let after = try #require(lostAfter, "the cut-off holder kept its lease")
        #expect(after < .seconds(3))
        // Nobody else could have it yet when the holder gave up; after the TTL another process can.
        let next = try #require(
            await eventually(.seconds(8)) {
                try await direct.tryLock(key: key, holder: LeaseHolder(purpose: "takeover"))
            })
        #expect(await next.abandonedRun() == "web-9")
        await next.release()
    }

    func eventually<T>(_ timeout: Duration, _ body: () async throws -> T?) async -> T? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try? await body() { return value }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    @Test func cursorsKeepEveryReplicasChanges() async throws {
        let store = try await Self.store()
        let cursors = try await store.cursors(repositoryKey: "/srv/repo")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<10 {
                group.addTask { try await cursors.setPipeline("p\(i)@main", commit: "c\(i)") }
            }
            group.addTask { try await cursors.setBranch("main", head: "h1") }
            try await group.waitForAll()
        }
        let saved = try await cursors.load()
        #expect(saved.pipelines.count == 10)
        #expect(saved.branches["main"] == "h1")
    }

    @Test func quarantineMarks() async throws {
        let store = try await Self.store()
        let sha = String(repeating: "a", count: 40)
        #expect(await store.quarantined(pipeline: "web", sha: sha) == nil)
        try await store.quarantine(QuarantineMark(pipeline: "web", sha: sha, runID: "web-3", reason: "r", at: Date()))
        #expect(await store.quarantined(pipeline: "web", sha: sha)?.runID == "web-3")
        #expect(await store.quarantinedCommits(pipeline: "web") == [sha])
    }
}
