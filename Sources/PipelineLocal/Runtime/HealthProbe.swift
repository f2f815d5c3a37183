import AsyncHTTPClient
import Foundation
import NIOCore
import PipelineCore

/// The two health checks: a container's `healthCheck` command and the load balancer's HTTP check.
enum HealthProbe {
    /// Runs the command in the task's folder with the task's environment; true when it exits 0 in time.
    static func command(_ argv: [String], directory: String, environment: [String: String], timeout: Duration) async
        -> Bool
    {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                let result = try? await ChildProcess.run(
                    path: "/bin/sh", arguments: TaskProcess.inDirectory(directory, argv),
                    environment: environment, stdin: Data(), stdoutLimit: 4096, stderrLimit: 4096,
                    grace: .seconds(1), onStderrLine: { _ in })
                return result?.termination == .exited(0)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
    }

    /// The target health checks' client: no redirects followed (a 3xx is an answer), bodies as sent.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(5)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// GET http://127.0.0.1:port/path; healthy on 200–399 within 5 seconds.
    static func http(port: Int, path: String) async -> Bool {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path.hasPrefix("/") ? path : "/" + path)")
        request.headers.add(name: "user-agent", value: "pipeline-local-health-check")
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (200..<400).contains(Int(response.status.code))
        } catch {
            return false
        }
    }
}
