import AsyncHTTPClient
import Foundation
import PipelineLocal
import PipelineTestKit
import PipelineTestSupport

/// The local provider's load balancer: requests per second and latency through it versus straight to a
/// task (examples/hello-service, 4 tasks), in the same run; then failed requests during a rolling deploy.
func benchLocal() async throws {
    let repo = try GitFixture()
    let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/hello-service")
    for name in ["app.py", "task-definition.json"] {
        try repo.write(name, try String(contentsOf: example.appendingPathComponent(name), encoding: .utf8))
    }
    let port = try FreePort.next()
    try repo.write(
        "pipelines/lb.yml",
        """
        target: {provider: local, service: lbbench, listener_port: \(port), health_check_path: /health, desired_count: 4}
        stages:
          - {uses: build-task-definition, id: build, with: {template: task-definition.json}}
          - {uses: register-task-definition, id: register}
          - uses: promote
            with: {deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50, poll_interval: 200ms}
        """)
    try repo.commit("v1")
    let state = "/tmp/pl-bench-\(UUID().uuidString.prefix(6))"
    let env = ProcessInfo.processInfo.environment.merging(["PIPELINE_LOCAL_FRONT_PORT": "-1"]) { $1 }
    defer {
        _ = try? ProcessRunner.run(pipelineBinary, ["agent", "stop", "--state-dir", state], environment: env)
        try? FileManager.default.removeItem(atPath: state)
    }
    let first = try ProcessRunner.run(
        pipelineBinary, ["run", "lb", "--state-dir", state], cwd: repo.path, environment: env)
    guard first.status == 0 else { throw BenchError("deploy failed: \(first.stdout)\(first.stderr)") }
    let paths = LocalPaths(stateRoot: URL(fileURLWithPath: state))
    let status = try await AgentClient(socketPath: paths.socket).call(AgentRequest.status).status!
    guard let task = status.services.first(where: { $0.name == "lbbench" })?.tasks.first, let taskPort = task.port
    else { throw BenchError("no task") }

    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    func get(_ port: Int) async -> (Bool, Double) {
        let t = ContinuousClock.now
        do {
            let r = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(10))
            _ = try await r.body.collect(upTo: 1 << 20)
            return (r.status.code == 200, ms(ContinuousClock.now - t))
        } catch { return (false, ms(ContinuousClock.now - t)) }
    }
    // Sequential: the latency the load balancer adds to one request.
    for _ in 0..<200 {
        _ = await get(taskPort)
        _ = await get(port)
    }
    var direct: [Double] = []
    var viaLB: [Double] = []
    for _ in 0..<2000 {
        direct.append(await get(taskPort).1)
        viaLB.append(await get(port).1)
    }
    report("GET / straight to one task (sequential)", direct, goal: "-")
    report("GET / through the load balancer (sequential)", viaLB, goal: "-")
    print(
        String(
            format: "load balancer adds: p50 %+.3f ms, p99 %+.3f ms", percentile(viaLB, 0.5) - percentile(direct, 0.5),
            percentile(viaLB, 0.99) - percentile(direct, 0.99)))

    // Concurrent: requests per second, 16 clients for 5 s each way.
    func throughput(_ port: Int) async -> (Double, Int) {
        let start = ContinuousClock.now
        let deadline = start + .seconds(5)
        let results = await withTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var ok = 0
                    var failed = 0
                    while ContinuousClock.now < deadline {
                        if await get(port).0 { ok += 1 } else { failed += 1 }
                    }
                    return (ok, failed)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        return (Double(results.0) / (ContinuousClock.now - start).seconds, results.1)
    }
    let (directRPS, directFailed) = await throughput(taskPort)
    let (lbRPS, lbFailed) = await throughput(port)
    print(String(format: "requests/s straight to one task (16 clients):  %8.0f  (%d failed)", directRPS, directFailed))
    print(String(format: "requests/s through the load balancer (4 tasks): %8.0f  (%d failed)", lbRPS, lbFailed))
    print(String(format: "ratio load balancer / one task: %.2f×", lbRPS / directRPS))

    // A rolling deploy (max 200%, min 50%) under 8 clients of steady load.
    let app = try String(contentsOfFile: repo.path + "/app.py", encoding: .utf8)
    try repo.write("app.py", app.replacingOccurrences(of: "VERSION = \"1\"", with: "VERSION = \"2\""))
    try repo.commit("v2")
    let stop = ContinuousClock.now + .seconds(3600)
    let flag = Flag()
    async let load: (Int, Int) = withTaskGroup(of: (Int, Int).self) { group in
        for _ in 0..<8 {
            group.addTask {
                var ok = 0
                var failed = 0
                while !flag.isSet && ContinuousClock.now < stop {
                    if await get(port).0 { ok += 1 } else { failed += 1 }
                }
                return (ok, failed)
            }
        }
        return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
    }
    try await Task.sleep(for: .seconds(1))
    let t = ContinuousClock.now
    let second = try ProcessRunner.run(
        pipelineBinary, ["run", "lb", "--state-dir", state], cwd: repo.path, environment: env)
    let deployTime = ContinuousClock.now - t
    try await Task.sleep(for: .seconds(1))
    flag.set()
    let (ok, failed) = await load
    guard second.status == 0 else { throw BenchError("rolling deploy failed: \(second.stdout)") }
    print(
        String(
            format: "rolling deploy of 4 tasks under load (%.1f s): %d requests, %d failed  goal: 0 failed",
            deployTime.seconds, ok + failed, failed))
    try await client.shutdown()
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
