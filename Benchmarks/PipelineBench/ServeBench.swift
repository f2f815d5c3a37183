import AsyncHTTPClient
import Foundation
import PipelineCore
import PipelineLocal
import PipelineStore
import PipelineTestSupport

/// `pipeline serve` over a state with 10,000 runs: the server time (its `Server-Timing` header) of the
/// runs page (first page, a filtered page, a deep page) and of a run page with 8 stages of logs.
func benchServe() async throws {
    let root = tempDir()
    let store = try RunStore(root: root)
    let seeded = 9_999
    try seedIndex(
        store, pipeline: "old", count: seeded, trigger: { $0 % 2 == 0 ? "push" : "manual" },
        startedAt: { Date().addingTimeInterval(Double($0 - seeded - 10)) })
    let commit = CommitInfo(sha: String(repeating: "a", count: 40), branch: "main", message: "m", author: "a")
    // One real run with 8 stages and 200 log lines each: the run page's worst ordinary case.
    let web = Pipeline(
        name: "web", file: "pipelines/web.yml", target: TargetConfig(settings: ["service": .string("web")]),
        stages: (0..<8).map { Step(id: "stage-\($0)", uses: "noop") })
    let (recorder, started) = try store.createRun(
        pipeline: web, trigger: "push", commit: commit, repository: nil, dryRun: false)
    var record = started
    for i in record.stages.indices {
        let sink = recorder.log(stage: record.stages[i].id)
        for line in 0..<200 { sink.write("2026-11-22T10:00:00.000Z INFO line \(line) of \(record.stages[i].id)") }
        record.stages[i].status = .succeeded
        record.stages[i].startedAt = Date().addingTimeInterval(Double(i))
        record.stages[i].endedAt = Date().addingTimeInterval(Double(i) + 0.8)
        record.stages[i].durationMs = 800
    }
    record.status = .succeeded
    record.endedAt = Date().addingTimeInterval(9)
    try recorder.write(record)
    print("seeded \(seeded + 1) runs (one with 8 stages × 200 log lines)")

    let port = try FreePort.next()
    let server = try ProcessRunner.start(
        pipelineBinary, ["serve", "--listen", "127.0.0.1:\(port)", "--state-dir", root])
    defer {
        server.signal(SIGTERM)
        _ = server.wait()
        try? FileManager.default.removeItem(atPath: root)
    }
    let deadline = ContinuousClock.now + .seconds(20)
    while !server.stdoutSoFar.contains("dashboard at"), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    let client = HTTPClient.shared
    func serverTimes(_ path: String, _ count: Int = 50) async throws -> [Double] {
        var out: [Double] = []
        for _ in 0..<count {
            let response = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 24)
            precondition(response.status.code == 200, "\(path): \(response.status)")
            let timing = response.headers.first(name: "server-timing") ?? ""
            out.append(Double(timing.split(separator: "=").last ?? "") ?? .nan)
        }
        return out
    }
    report("serve: runs page (10,000 runs)", try await serverTimes("/runs"), goal: "< 50 ms server time")
    report("serve: runs page, status=failed", try await serverTimes("/runs?status=failed"), goal: "< 50 ms")
    report("serve: runs page 20 (runs 951-1000)", try await serverTimes("/runs?page=20"), goal: "-")
    report("serve: runs page, branch=main", try await serverTimes("/runs?branch=main"), goal: "< 50 ms")
    report("serve: runs page, no branch matches (scans all)", try await serverTimes("/runs?branch=none", 10), goal: "-")
    report(
        "serve: run page (8 stages, 1,600 log lines)", try await serverTimes("/runs/web-1"), goal: "< 50 ms server time"
    )
    report("serve: /api/v1/runs", try await serverTimes("/api/v1/runs"), goal: "-")
}
