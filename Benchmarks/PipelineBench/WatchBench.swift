import BuiltinStages
import Foundation
import PipelineCore
import PipelineGit
import PipelineStore
import PipelineTestKit
import PipelineTestSupport

/// Trigger latency, planning in a large repository, and an idle watcher's CPU and memory.
func benchWatch() async throws {
    try await benchTriggerLatency()
    try benchLargeRepository()
    try await benchIdleWatch()
}

func benchTriggerLatency() async throws {
    let polled = try await triggerLatency(["--no-inotify"])
    let pushed = try await triggerLatency([])
    report("commit → run start, polling refs every 250 ms", polled, goal: "-")
    report("commit → run start, inotify on refs", pushed, goal: "p99 < 50 ms")
    print(
        String(
            format: "inotify vs polling: p50 %.1f× sooner, p99 %.1f× sooner",
            percentile(polled, 0.5) / percentile(pushed, 0.5),
            percentile(polled, 0.99) / percentile(pushed, 0.99)))
}

/// Commit → run start latencies (ms) of a `pipeline watch` with these extra flags.
func triggerLatency(_ flags: [String]) async throws -> [Double] {
    let repo = try GitFixture()
    try repo.write(
        "pipelines/web.yml",
        "on: {push: {branches: [main]}}\ntarget: {provider: local, service: web}\nstages:\n  - {uses: wait, with: {duration: 0}}\n"
    )
    try repo.commit("pipeline")
    let state = tempDir()
    let watch = try ProcessRunner.start(pipelineBinary, ["watch", "--repo", repo.path, "--state-dir", state] + flags)
    let store = try RunStore(root: state)
    func runCount() -> Int { (try? store.list(limit: 1000).count) ?? 0 }
    while runCount() < 1 { try await Task.sleep(for: .milliseconds(20)) }
    var latencies: [Double] = []
    for i in 0..<50 {
        try repo.write("f.txt", "\(i)")
        try repo.git("add", "-A")
        let before = Date()
        try repo.git("commit", "-q", "-m", "c\(i)")
        let target = i + 2
        while runCount() < target { try await Task.sleep(for: .milliseconds(5)) }
        let newest = try store.list(limit: 1)[0]
        latencies.append(newest.startedAt.timeIntervalSince(before) * 1000)
        while try store.load(runID: newest.id).status == .running { try await Task.sleep(for: .milliseconds(5)) }
    }
    watch.signal(SIGTERM)
    _ = watch.wait()
    return latencies
}

func benchLargeRepository() throws {
    let path = tempDir() + "/big"
    let script = """
        import sys
        commits, files = 100000, 20000
        out = sys.stdout.buffer
        def blob(mark, data):
            out.write(b"blob\\nmark :%d\\ndata %d\\n%s\\n" % (mark, len(data), data))
        pipeline = b"on: {push: {branches: [main], paths: ['src/**']}}\\ntarget: {provider: local, service: web}\\nstages:\\n  - {uses: wait, with: {duration: 0}}\\n"
        blob(1, pipeline)
        blob(2, b"x")
        out.write(b"commit refs/heads/main\\nmark :3\\ncommitter b <b@x> 1700000000 +0000\\ndata 4\\ninit\\n")
        out.write(b"M 100644 :1 pipelines/web.yml\\n")
        for f in range(files):
            out.write(b"M 100644 :2 src/d%d/f%d.txt\\n" % (f % 200, f))
        for c in range(1, commits):
            data = b"%d" % c
            out.write(b"commit refs/heads/main\\ncommitter b <b@x> %d +0000\\ndata %d\\n%s\\n" % (1700000000 + c, len(data), data))
            out.write(b"M 100644 inline src/d%d/f%d.txt\\ndata %d\\n%s\\n" % (c % 200, c % files, len(data), data))
        """
    let start = ContinuousClock.now
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let gen = try ProcessRunner.run(
        "sh", ["-c", "git init -q -b main . && python3 -c \"$0\" | git fast-import --quiet", script], cwd: path)
    precondition(gen.status == 0, "fast-import failed: \(gen.stderr)")
    print(String(format: "generated 100,000 commits × 20,000 files in %.1f s", (ContinuousClock.now - start).seconds))
    let repository = try GitRepository.open(path)
    let head = try repository.resolve("main")
    let parent = try repository.commit(head).parents[0]
    let loader = PipelineLoader(registry: StageRegistry(BuiltinStages.all), environment: [:])
    var samples: [Double] = []
    for _ in 0..<20 {
        let t = ContinuousClock.now
        let planner = PushPlanner(repository: try GitRepository.open(path), loader: loader)
        let update = try planner.update(branch: "main", old: parent, new: head)
        var log: [String] = []
        let decisions = planner.plan(update, pipelineCursors: [:], log: &log)
        precondition(decisions.count == 1)
        samples.append(ms(ContinuousClock.now - t))
    }
    report("plan a new commit (read pipeline + changed paths), 100k commits", samples, goal: "< 50 ms")
}

func benchIdleWatch() async throws {
    let repo = try GitFixture()
    for i in 0..<50 {
        try repo.write(
            "pipelines/p\(i).yml",
            "on: {push: {branches: [main], paths: ['svc\(i)/**']}}\ntarget: {provider: local, service: s\(i)}\nstages:\n  - {uses: wait, with: {duration: 0}}\n"
        )
    }
    try repo.commit("50 pipelines")
    let watch = try ProcessRunner.start(pipelineBinary, ["watch", "--repo", repo.path, "--state-dir", tempDir()])
    try await Task.sleep(for: .seconds(3))
    let pid = watch.process.processIdentifier
    func cpuTicks() -> Double {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        return fields.count > 13 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
    }
    let t0 = cpuTicks()
    let start = ContinuousClock.now
    try await Task.sleep(for: .seconds(10))
    let cpu = (cpuTicks() - t0) / Double(sysconf(Int32(_SC_CLK_TCK))) / (ContinuousClock.now - start).seconds * 100
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS") }.map(String.init) ?? "?"
    watch.signal(SIGTERM)
    _ = watch.wait()
    print(
        String(
            format:
                "idle watch, 50 pipelines, 10 s: CPU %.2f%% (goal < 1%%), \(rss.replacingOccurrences(of: "\t", with: " ")) (goal < 50 MB)",
            cpu))
}
