import BuiltinStages
import Foundation
import PipelineCore
import PipelineStore
import PipelineTestKit
import PipelineTestSupport

// Prints the engine's speed figures; run through scripts/bench (release build).
// Usage: pipeline-bench [engine]  — more groups arrive with later modules.

let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let pipelineBinary = products.appendingPathComponent("pipeline").path

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
    return sorted[index]
}

func ms(_ d: Duration) -> Double { d.seconds * 1000 }

func report(_ name: String, _ samples: [Double], goal: String) {
    let line = String(
        format: "%-44@ median %8.3f ms  p99 %8.3f ms  (n=%d)  goal: %@", name as NSString, percentile(samples, 0.5),
        percentile(samples, 0.99), samples.count, goal as NSString)
    print(line)
}

func tempDir() -> String {
    let path = NSTemporaryDirectory() + "pipeline-bench-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Spawns a process with stdout and stderr on /dev/null and waits; returns the wall time in ms.
func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String]? = nil) -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = ContinuousClock.now
    let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { extra in
        ProcessInfo.processInfo.environment.merging(extra) { _, new in new }.map { strdup("\($0.key)=\($0.value)") }
            + [nil]
    }
    defer { envp?.forEach { free($0) } }
    let spawned =
        envp.map { posix_spawn(&pid, path, &actions, nil, argv, $0) }
        ?? posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { fatalError("cannot spawn \(path)") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return ms(ContinuousClock.now - start)
}

func benchCLIStart() throws {
    let bare = (0..<30).map { _ in spawnAndWait("/bin/true", []) }
    let samples = (0..<30).map { _ in spawnAndWait(pipelineBinary, ["--version"]) }
    report("spawn /bin/true (floor)", bare, goal: "-")
    report("pipeline --version (cold start)", samples, goal: "< 50 ms")
}

/// Writes `count` ended runs of pipeline `name` (`name-1` … `name-count`, every tenth failed, each
/// lasting a second) straight into the store's index, as many runs would leave it.
func seedIndex(
    _ store: RunStore, pipeline name: String, count: Int, trigger: (Int) -> String = { _ in "push" },
    startedAt: (Int) -> Date = { _ in Date() }
) throws {
    let index = RunIndex(store: store)
    let pipeline = Pipeline(
        name: name, file: "pipelines/\(name).yml", target: TargetConfig(settings: ["service": .string("web")]),
        stages: [Step(id: "a", uses: "noop")])
    let commit = CommitInfo(sha: String(repeating: "a", count: 40), branch: "main", message: "m", author: "a")
    for n in 1...count {
        var record = RunRecord(
            id: "\(name)-\(n)", number: n, pipeline: pipeline, trigger: trigger(n), commit: commit, repository: nil,
            startedBy: "bench", pid: 1, workingDirectory: "/", startedAt: startedAt(n), dryRun: false)
        record.status = n % 10 == 0 ? .failed : .succeeded
        record.endedAt = record.startedAt.addingTimeInterval(1)
        record.durationMs = 1000
        try index.write(RunSummary(record), slot: n - 1)
    }
}

func benchListing() throws {
    let root = tempDir()
    let store = try RunStore(root: root)
    let seedStart = ContinuousClock.now
    try seedIndex(store, pipeline: "web", count: 100_000)
    print(String(format: "seeded 100,000 runs into the index in %.1f s", (ContinuousClock.now - seedStart).seconds))
    var cli: [Double] = []
    var library: [Double] = []
    for _ in 0..<20 {
        let start = ContinuousClock.now
        let out = try ProcessRunner.run(pipelineBinary, ["runs", "--limit", "20", "--state-dir", root])
        precondition(out.status == 0 && out.stdout.contains("web-100000"))
        cli.append(ms(ContinuousClock.now - start))
        let t = ContinuousClock.now
        let list = try store.list(limit: 20)
        precondition(list.count == 20)
        library.append(ms(ContinuousClock.now - t))
    }
    report("pipeline runs --limit 20 (100k runs, CLI)", cli, goal: "< 100 ms")
    report("RunStore.list(limit: 20) (100k runs)", library, goal: "-")
    var filtered: [Double] = []
    for _ in 0..<5 {
        let t = ContinuousClock.now
        _ = try store.list(status: .failed, limit: 20)
        filtered.append(ms(ContinuousClock.now - t))
    }
    report("RunStore.list(status: failed, limit: 20)", filtered, goal: "-")
    try? FileManager.default.removeItem(atPath: root)
}

func benchEvents() throws {
    let store = try RunStore(root: tempDir())
    let pipeline = Pipeline(
        name: "web", file: "p.yml", target: TargetConfig(settings: [:]), stages: [Step(id: "a", uses: "noop")])
    let (recorder, record) = try store.createRun(
        pipeline: pipeline, trigger: "manual",
        commit: CommitInfo(sha: String(repeating: "a", count: 40), branch: nil, message: "", author: ""),
        repository: nil, dryRun: false)
    var samples: [Double] = []
    for i in 0..<1000 {
        let event = RunEvent(.stageStarted, run: record.id, stage: "stage-\(i)", message: "noop")
        let t = ContinuousClock.now
        try recorder.append(event)
        samples.append(ms(ContinuousClock.now - t))
    }
    report("append one event (write + fdatasync)", samples, goal: "small beside a stage")
    var writes: [Double] = []
    for _ in 0..<200 {
        let t = ContinuousClock.now
        try recorder.write(record)
        writes.append(ms(ContinuousClock.now - t))
    }
    report("replace run.json (write+fsync+rename)", writes, goal: "small beside a stage")
}

func benchRunner() async throws {
    var yaml = "target: {provider: local, service: web}\nstages:\n"
    for i in 0..<1000 { yaml += "  - {uses: noop, id: s\(i)}\n" }
    let registry = StageRegistry(TestStages.all)
    let pipeline = try PipelineLoader(registry: registry, environment: [:]).load(text: yaml, file: "bench.yml")
    let commit = CommitInfo(sha: String(repeating: "a", count: 40), branch: "main", message: "m", author: "a")
    func record(_ id: String) -> RunRecord {
        RunRecord(
            id: id, number: 1, pipeline: pipeline, trigger: "manual", commit: commit, repository: nil, startedBy: "b",
            pid: 1, workingDirectory: "/", startedAt: Date(), dryRun: false)
    }
    let runner = Runner(registry: registry, environment: [:])
    let t = ContinuousClock.now
    let memory = await runner.run(
        Runner.Job(
            pipeline: pipeline, record: record("bench-1"), source: InMemorySourceTree(), recorder: InMemoryRecorder()))
    let inMemory = ContinuousClock.now - t
    precondition(memory.status == .succeeded)
    print(
        String(
            format: "runner, 1,000 no-op stages, in-memory record: %.3f ms/stage (goal < 1 ms)",
            ms(inMemory) / 1000))
    let store = try RunStore(root: tempDir())
    let (recorder, initial) = try store.createRun(
        pipeline: pipeline, trigger: "manual", commit: commit, repository: nil, dryRun: false)
    let t2 = ContinuousClock.now
    let disk = await runner.run(
        Runner.Job(pipeline: pipeline, record: initial, source: InMemorySourceTree(), recorder: recorder))
    let onDisk = ContinuousClock.now - t2
    precondition(disk.status == .succeeded)
    print(
        String(
            format:
                "runner, 1,000 no-op stages, recorded on disk: %.3f ms/stage (2 fsynced events per stage, run.json snapshot at most every 250 ms)",
            ms(onDisk) / 1000))
}

let groups = CommandLine.arguments.dropFirst()
if groups.first == "stand-in-task" { try StandInTask.serve() }
// `pipeline-bench load PORT [SECONDS]`: RawLoad's 16 kept-alive clients against 127.0.0.1:PORT (for a
// profiler attached to whatever listens there).
if groups.first == "load", let port = groups.dropFirst().first.flatMap(Int.init) {
    let seconds = groups.dropFirst(2).first.flatMap(Double.init) ?? 5
    let (rps, failed) = RawLoad.throughput(port: port, clients: 16, seconds: seconds)
    print(String(format: "%.0f requests/s, %d failed", rps, failed))
    exit(0)
}
let all = groups.isEmpty
if all || groups.contains("engine") {
    print("== engine (issue 2)")
    try benchCLIStart()
    try benchEvents()
    try await benchRunner()
    try benchListing()
}
if all || groups.contains("aws") {
    print("== AWS client (issue 3)")
    try await benchAWSClient()
}
if all || groups.contains("watch") {
    print("== git trigger (issue 5)")
    try await benchWatch()
}
if all || groups.contains("plugin") {
    print("== executable plugins (issue 6)")
    try await benchPlugin()
}
if all || groups.contains("local") {
    print("== local provider (load balancer, rolling deploy)")
    try await benchLocal()
}
if all || groups.contains("safety") {
    print("== deployment safety (issue 11)")
    try await benchSafety()
}
if all || groups.contains("state") {
    print("== shared state in S3 (issue 15)")
    try await benchState()
}
if all || groups.contains("serve") {
    print("== dashboard (issue 18)")
    try await benchServe()
}
if all || groups.contains("pipeline") {
    print("== whole pipeline (issue 4)")
    try await benchPipeline()
}
