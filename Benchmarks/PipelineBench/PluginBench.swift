import BuiltinStages
import Foundation
import PipelineCore
import PipelineTestKit

/// An executable plugin stage through the engine versus spawning the same process bare.
func benchPlugin() async throws {
    let script = "#!/bin/sh\ncat >/dev/null\necho '{\"status\": \"succeeded\", \"outputs\": {\"ok\": true}}'\n"
    let dir = tempDir()
    let path = "\(dir)/pipeline-stage-bench"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    var registry = StageRegistry()
    registry.fallback = ExecutablePlugins.resolver(searchPath: [dir])
    let pipeline = try PipelineLoader(registry: registry, environment: [:]).load(
        text: "target: {provider: local, service: b}\nstages:\n  - {uses: bench}\n", file: "bench.yml")
    let commit = CommitInfo(sha: String(repeating: "a", count: 40), branch: "main", message: "m", author: "a")
    let runner = Runner(registry: registry, environment: ["PATH": "/usr/bin:/bin"])
    var engine: [Double] = []
    var bare: [Double] = []
    for i in 0..<60 {
        let record = RunRecord(
            id: "bench-\(i)", number: i, pipeline: pipeline, trigger: "manual", commit: commit, repository: nil,
            startedBy: "b", pid: 1, workingDirectory: "/", startedAt: Date(), dryRun: false)
        let t = ContinuousClock.now
        let final = await runner.run(
            .init(pipeline: pipeline, record: record, source: InMemorySourceTree(), recorder: InMemoryRecorder()))
        engine.append(ms(ContinuousClock.now - t))
        precondition(final.status == .succeeded, final.error ?? "")
        let t2 = ContinuousClock.now
        let result = try await ChildProcess.run(
            path: path, environment: ["PATH": "/usr/bin:/bin"], stdin: Data("{}".utf8), onStderrLine: { _ in })
        bare.append(ms(ContinuousClock.now - t2))
        precondition(result.termination == .exited(0))
    }
    report("plugin stage through the engine", Array(engine.dropFirst(10)), goal: "-")
    report("the same process spawned bare", Array(bare.dropFirst(10)), goal: "-")
    print(
        String(
            format: "executable plugin overhead: median %+.2f ms (goal < 20 ms)",
            percentile(Array(engine.dropFirst(10)), 0.5) - percentile(Array(bare.dropFirst(10)), 0.5)))
}
