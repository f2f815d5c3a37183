import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore
import PipelineTestKit
import PipelineTestSupport

/// A repository whose pipeline runs a canary against moto, with the alarm guard looking every `poll`.
private func safetyRepo(_ moto: SupportServer, name: String, poll: String, bake: String) throws -> GitFixture {
    _ = try Moto.fixture(moto.endpoint, "setup", name)
    let repo = try GitFixture()
    try writeBenchTaskDefinition(repo, family: name)
    try repo.write(
        "pipelines/web.yml",
        """
        \(benchPipelineHead(name, moto.endpoint))
          - {uses: canary-deploy, id: canary, with: {poll_interval: 100ms}}
          - {uses: alarm-watch, id: bake, with: {alarms: [\(name)-5xx], bake_time: \(bake), poll_interval: \(poll)}}
          - {uses: promote, id: promote, with: {poll_interval: 100ms}}
        on_failure:
          - {uses: rollback, with: {poll_interval: 100ms}}
        """)
    try repo.commit("v1")
    return repo
}

private let benchEnvironment = [
    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
]

private func event(_ repo: GitFixture, run: Int, _ match: (RunEvent) -> Bool) throws -> RunEvent? {
    let store = try RunStore(root: repo.path + "/.pipeline")
    return try store.events(runID: "web-\(run)").first(where: match)
}

/// Time from an alarm's transition to ALARM (CloudWatch's own timestamp) to the start of the rollback,
/// and from a kill -9 to a finished recovery under `pipeline watch`.
func benchSafety() async throws {
    let moto = try SupportServer(script: "moto_server.py", environment: ["PIPELINE_TEST_ECS_ROLLOUT_SECONDS": "0.3"])
    let cloudWatch = CloudWatch(client: benchClient(moto.endpoint))
    for poll in ["1s", "250ms"] {
        var latencies: [Double] = []
        for i in 0..<5 {
            let name = "sb\(poll.count)x\(i)"
            let repo = try safetyRepo(moto, name: name, poll: poll, bake: "30s")
            let run = try ProcessRunner.start(
                pipelineBinary, ["run", "web"], cwd: repo.path, environment: benchEnvironment)
            while !run.stdoutSoFar.contains("stage bake started") { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...900)))
            _ = try Moto.fixture(moto.endpoint, "set-alarm", "\(name)-5xx", "ALARM", "bench")
            let out = run.wait()
            precondition(out.status == 1, "the run did not roll back: \(out.stdout)")
            let alarm = try await cloudWatch.describeAlarms(names: ["\(name)-5xx"]).first
            let fired = try require(alarm?.StateUpdatedTimestamp)
            let rollback = try require(
                try event(repo, run: 1) { $0.type == .stageStarted && $0.stage == "rollback" }, "no rollback")
            latencies.append(rollback.time.timeIntervalSince(fired) * 1000)
        }
        report("alarm → rollback start (poll \(poll))", latencies, goal: "≤ poll + 1 s")
    }

    // kill -9 during the bake; a watch process of the same state folder recovers the run.
    var recoveries: [Double] = []
    for i in 0..<3 {
        let name = "sk\(i)"
        let repo = try safetyRepo(moto, name: name, poll: "1s", bake: "60s")
        let watch = try ProcessRunner.start(
            pipelineBinary, ["watch", "--repo", ".", "--branch", "none", "--poll", "500ms"], cwd: repo.path,
            environment: benchEnvironment)
        let run = try ProcessRunner.start(
            pipelineBinary, ["run", "web"], cwd: repo.path, environment: benchEnvironment)
        while !run.stdoutSoFar.contains("stage bake started") { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...3000)))
        let killed = Date()
        run.signal(SIGKILL)
        _ = run.wait()
        let store = try RunStore(root: repo.path + "/.pipeline")
        var ended: Date?
        let deadline = ContinuousClock.now + .seconds(60)
        while ended == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            if let record = try? store.load(runID: "web-1"), record.status == .rolledBack {
                ended = record.recovery?.endedAt
            }
        }
        watch.signal(SIGTERM)
        _ = watch.wait()
        let end = try require(ended, "watch did not recover web-1 in 60 s")
        recoveries.append(end.timeIntervalSince(killed) * 1000)
    }
    report("kill -9 → recovered by watch (rolled back)", recoveries, goal: "≤ 5 s check interval + the rollback")
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}

private func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw BenchFailure(description: message) }
    return value
}
