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
    let state = "/tmp/pl-bench-\(UUID().uuidString.prefix(6))"
    let env = ProcessInfo.processInfo.environment.merging(["PIPELINE_LOCAL_FRONT_PORT": "-1"]) { $1 }
    defer {
        _ = try? ProcessRunner.run(pipelineBinary, ["agent", "stop", "--state-dir", state], environment: env)
        try? FileManager.default.removeItem(atPath: state)
    }
    /// Writes pipelines/NAME.yml (4 tasks of `template` behind a listener on a free port), commits and
    /// runs it; returns the listener's port and the tasks' ports.
    func deploy(_ name: String, service: String, template: String, promote: String) async throws -> (Int, [Int]) {
        let port = try FreePort.next()
        try repo.write(
            "pipelines/\(name).yml",
            """
            target: {provider: local, service: \(service), listener_port: \(port), health_check_path: /health, desired_count: 4}
            stages:
              - {uses: build-task-definition, id: build, with: {template: \(template)}}
              - {uses: register-task-definition, id: register}
              - {uses: promote, with: {\(promote)}}
            """)
        try repo.commit(name)
        let run = try ProcessRunner.run(
            pipelineBinary, ["run", name, "--state-dir", state], cwd: repo.path, environment: env)
        guard run.status == 0 else { throw BenchError("deploy of \(name) failed: \(run.stdout)\(run.stderr)") }
        let paths = LocalPaths(stateRoot: URL(fileURLWithPath: state))
        let status = try await AgentClient(socketPath: paths.socket).call(AgentRequest.status).status!
        let ports = status.services.first { $0.name == service }?.tasks.compactMap(\.port) ?? []
        guard !ports.isEmpty else { throw BenchError("no task of \(service)") }
        return (port, ports)
    }
    let (port, taskPorts) = try await deploy(
        "lb", service: "lbbench", template: "task-definition.json",
        promote: "deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50, poll_interval: 200ms")

    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    func get(_ port: Int) async -> (Bool, Double) {
        let t = ContinuousClock.now
        do {
            let r = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(10))
            _ = try await r.body.collect(upTo: 1 << 20)
            return (r.status.code == 200, ms(ContinuousClock.now - t))
        } catch { return (false, ms(ContinuousClock.now - t)) }
    }
    print("-- 4 tasks of examples/hello-service (Python)")
    try await compareProxies(lbPort: port, taskPorts: taskPorts, get: get)

    // The same comparison with tasks that answer at once (`pipeline-bench stand-in-task`, one event
    // loop each): the Python tasks above take about half of the CPU themselves, which caps every
    // proxy's rate; here the proxies' own cost decides.
    try repo.write(
        "stand-in.json",
        """
        {"family": "standin", "containerDefinitions": [{"name": "web", "image": "standin:1", "essential": true,
          "entryPoint": ["\(products.appendingPathComponent("pipeline-bench").path)", "stand-in-task"],
          "portMappings": [{"containerPort": 8080}]}]}
        """)
    let (fastPort, fastPorts) = try await deploy(
        "fast", service: "lbfast", template: "stand-in.json", promote: "poll_interval: 200ms")
    print("-- 4 stand-in tasks (pipeline-bench stand-in-task: answer at once)")
    try await compareProxies(lbPort: fastPort, taskPorts: fastPorts, get: get)

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

/// Latency (sequential) and requests per second (16 kept-alive clients) straight to one task, through
/// the load balancer on `lbPort`, through the pre-19 design and through nginx (when installed), the
/// last two in front of `taskPorts`; printed with the ratios issue 19 names.
func compareProxies(lbPort: Int, taskPorts: [Int], get: (Int) async -> (Bool, Double)) async throws {
    // Beside it in the same run: nginx as a reverse proxy to the same 4 tasks (kept-alive upstream
    // connections), and the load balancer as it was before issue 19 (AsyncHTTPClient behind an
    // NIOAsyncChannel server: every request hops to the cooperative pool).
    let nginx: NginxProxy?
    do {
        nginx = try NginxProxy(upstreams: taskPorts)
    } catch {
        print("nginx: \(error); its comparison is skipped")
        nginx = nil
    }
    defer { nginx?.stop() }
    let baseline = try await BaselineProxy.start(upstreams: taskPorts)

    // Sequential: the latency each proxy adds to one request.
    let targets: [(String, Int)] =
        [
            ("straight to one task", taskPorts[0]), ("through the load balancer", lbPort),
            ("through the pre-19 load balancer", baseline.port),
        ] + (nginx.map { [("through nginx", $0.port)] } ?? [])
    for _ in 0..<200 { for (_, p) in targets { _ = await get(p) } }
    var sequential: [[Double]] = Array(repeating: [], count: targets.count)
    for _ in 0..<2000 {
        for (i, (_, p)) in targets.enumerated() { sequential[i].append(await get(p).1) }
    }
    for (i, (name, _)) in targets.enumerated() { report("GET / \(name) (sequential)", sequential[i], goal: "-") }
    func overhead(_ i: Int) -> (Double, Double) {
        (
            percentile(sequential[i], 0.5) - percentile(sequential[0], 0.5),
            percentile(sequential[i], 0.99) - percentile(sequential[0], 0.99)
        )
    }
    let (lb50, lb99) = overhead(1)
    let (old50, old99) = overhead(2)
    print(String(format: "load balancer adds: p50 %+.3f ms, p99 %+.3f ms  (goal p50 < 0.5 ms)", lb50, lb99))
    print(String(format: "pre-19 LB adds:     p50 %+.3f ms, p99 %+.3f ms", old50, old99))
    if nginx != nil {
        let (ng50, ng99) = overhead(3)
        print(String(format: "nginx adds:         p50 %+.3f ms, p99 %+.3f ms", ng50, ng99))
    }

    // Concurrent: requests per second, 16 kept-alive clients (threads of RawLoad) for 5 s each.
    var rates: [Double] = []
    for (name, p) in targets {
        let (rps, failed) = await offThread { RawLoad.throughput(port: p, clients: 16, seconds: 5) }
        rates.append(rps)
        print(String(format: "requests/s %@ (16 clients): %8.0f  (%d failed)", name as NSString, rps, failed))
    }
    print(
        String(
            format: "load balancer vs pre-19 LB: %.2f× the requests/s (goal ≥ 2×); vs one task: %.2f×%@",
            rates[1] / rates[2], rates[1] / rates[0],
            (rates.count > 3 ? String(format: "; vs nginx: %.2f×", rates[1] / rates[3]) : "") as NSString))
    await baseline.stop()
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// nginx (Debian's) as a reverse proxy to the tasks, on a free port, for the comparison.
struct NginxProxy {
    let port: Int
    let process: ProcessRunner.Running
    let folder: String

    init(upstreams: [Int]) throws {
        guard
            let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { throw BenchError("nginx is not installed (apt-get install nginx-light)") }
        port = try FreePort.next()
        folder = tempDir()
        let servers = upstreams.map { "server 127.0.0.1:\($0);" }.joined(separator: " ")
        let config = """
            worker_processes auto;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path \(folder)/body; proxy_temp_path \(folder)/proxy;
              fastcgi_temp_path \(folder)/fastcgi; uwsgi_temp_path \(folder)/uwsgi; scgi_temp_path \(folder)/scgi;
              upstream tasks { \(servers) keepalive 64; }
              server {
                listen 127.0.0.1:\(port);
                location / { proxy_pass http://tasks; proxy_http_version 1.1; proxy_set_header Connection ""; }
              }
            }
            """
        try config.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try ProcessRunner.start(binary, ["-p", folder, "-c", folder + "/nginx.conf", "-g", "daemon off;"])
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let fd = TCP.connect(port: port)
            if fd >= 0 {
                close(fd)
                return
            }
            usleep(20_000)
        }
        throw BenchError(
            "nginx did not start: \((try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        process.signal(SIGQUIT)
        _ = process.wait()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
