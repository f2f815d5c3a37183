import Foundation
import PipelineCore
import PipelineStore
import PipelineStoreS3
import PipelineTestKit
import PipelineTestSupport

/// The S3 state on moto: listing 20 runs out of 10,000, a lock's acquire + release, and the S3 calls a
/// run makes (per stage, and fixed per run).
func benchState() async throws {
    let moto = try SupportServer(script: "moto_server.py")
    let bucket = "bench-state"
    _ = try Moto.fixture(moto.endpoint, "bucket", bucket)
    let environment = [
        "AWS_ENDPOINT_URL_S3": moto.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
    ]
    let url = "s3://\(bucket)/bench"
    let store = try S3StateStore(url: url, environment: environment, localRoot: tempDir(), ttl: .seconds(30))

    // 10,000 finished runs (record + index entry each), written 32 at a time.
    let count = Int(ProcessInfo.processInfo.environment["PIPELINE_BENCH_S3_RUNS"] ?? "") ?? 10_000
    let pipeline = Pipeline(
        name: "web", file: "pipelines/web.yml", target: TargetConfig(settings: ["service": "web"]),
        stages: [Step(id: "a", uses: "noop")])
    let commit = CommitInfo(sha: String(repeating: "b", count: 40), branch: "main", message: "m", author: "a")
    let start = Date().addingTimeInterval(-Double(count))
    let filling = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 1...count {
            if i > 32 { try await group.next() }
            group.addTask {
                var record = RunRecord(
                    id: "web-\(i)", number: i, pipeline: pipeline, trigger: "push", commit: commit, repository: nil,
                    startedBy: "bench", pid: 1, workingDirectory: "/", startedAt: start.addingTimeInterval(Double(i)),
                    dryRun: false)
                record.status = i % 10 == 0 ? .failed : .succeeded
                record.endedAt = record.startedAt.addingTimeInterval(0.5)
                try await store.writeFinished(record)
            }
        }
        try await group.waitForAll()
    }
    print(
        String(
            format: "filled %d runs in S3 (moto): %.1f s (%d objects)", count,
            (ContinuousClock.now - filling).seconds, count * 2))

    var library: [Double] = []
    for _ in 0..<30 {
        let t = ContinuousClock.now
        let runs = try await store.list(pipeline: nil, status: nil, limit: 20, includeDryRuns: true)
        library.append(ms(ContinuousClock.now - t))
        precondition(runs.count == 20 && runs.first?.id == "web-\(count)")
    }
    report("S3 list(limit: 20) of \(count) runs", library, goal: "< 300 ms")
    let cliEnvironment = environment.merging(["PIPELINE_STATE_DIR": url]) { _, new in new }
    let cli = (0..<15).map { _ in spawnAndWait(pipelineBinary, ["runs", "--limit", "20"], environment: cliEnvironment) }
    report("`pipeline runs --limit 20` (process, S3)", cli, goal: "< 300 ms")
    var failed: [Double] = []
    for _ in 0..<10 {
        let t = ContinuousClock.now
        _ = try await store.list(pipeline: nil, status: .failed, limit: 20, includeDryRuns: true)
        failed.append(ms(ContinuousClock.now - t))
    }
    report("S3 list(status: failed, limit: 20)", failed, goal: "-")

    var locks: [Double] = []
    for i in 0..<50 {
        let t = ContinuousClock.now
        let lease = try await store.tryLock(
            key: "aws/us-east-1/bench/web-\(i % 5)", holder: LeaseHolder(purpose: "bench"))
        guard let lease else { fatalError("the lock was not free") }
        await lease.release()
        locks.append(ms(ContinuousClock.now - t))
    }
    report("S3 lock acquire + release", locks, goal: "-")

    // The calls of whole runs, made as `pipeline run` makes them, with N stages that each log a line.
    func callsOfRun(stages: Int) async throws -> Int {
        var yaml = "target: {provider: aws, region: us-east-1, cluster: bench, service: calls\(stages)}\nstages:\n"
        for i in 0..<stages { yaml += "  - {uses: sleep, id: s\(i), with: {duration: 1ms}}\n" }
        let registry = StageRegistry(TestStages.all)
        let p = try PipelineLoader(registry: registry, environment: [:]).load(text: yaml, file: "calls.yml")
        let before = store.callCount
        let lock = try await store.acquireLock(
            key: p.target.lockKey, holder: LeaseHolder(purpose: "bench"), wait: false
        ) {
            _ in
        }
        _ = await lock.abandonedRun()
        let (recorder, record) = try await store.startRun(
            pipeline: p, trigger: "manual", commit: commit, repository: nil, dryRun: false, status: .running)
        try await store.savePipelineSource(yaml, runID: record.id)
        try await lock.markActive(record.id)
        let final = await Runner(registry: registry, environment: [:], history: store.history).run(
            Runner.Job(pipeline: p, record: record, source: InMemorySourceTree(), recorder: recorder, lease: lock))
        precondition(final.status == .succeeded, "\(final.error ?? "")")
        await lock.clearActive()
        await lock.release()
        return store.callCount - before
    }
    let few = try await callsOfRun(stages: 4)
    let many = try await callsOfRun(stages: 24)
    let perStage = Double(many - few) / 20
    print(
        String(
            format:
                "S3 calls per run: %d with 4 stages, %d with 24 stages → %.2f per stage (goal ≤ 2) + %.0f fixed per run (lock, number, record, index, pipeline file, release); +1 heartbeat per TTL/3 of run time",
            few, many, perStage, Double(few) - 4 * perStage))
}
