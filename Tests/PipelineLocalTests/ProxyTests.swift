import Foundation
import PipelineTestSupport
import Testing

@testable import PipelineLocal

/// The local load balancer's event-loop proxy against real HTTP tasks (Tests/Support/proxy_upstream.py).
@Suite(.serialized) struct ProxyTests {
    /// A raw HTTP/1.1 exchange: the request's bytes, the response as received (status line, headers,
    /// body after de-chunking), read until the response ends.
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    final class Connection: @unchecked Sendable {
        // @unchecked: used by one test at a time.
        let fd: Int32
        var pending = Data()

        init(port: Int) throws {
            fd = TCP.connect(port: port)
            guard fd >= 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func fill() -> Bool {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return false }
            pending.append(contentsOf: buffer[0..<n])
            return true
        }

        func line() -> String? {
            while true {
                if let range = pending.range(of: Data("\r\n".utf8)) {
                    let text = String(decoding: pending[pending.startIndex..<range.lowerBound], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex..<range.upperBound)
                    return text
                }
                guard fill() else { return nil }
            }
        }

        func bytes(_ count: Int) -> Data? {
            while pending.count < count { guard fill() else { return nil } }
            let out = pending.prefix(count)
            pending.removeFirst(count)
            return Data(out)
        }

        func send(_ method: String, _ path: String, body: Data = Data(), close: Bool = false) -> Response? {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: web.local\r\n"
            if !body.isEmpty { head += "Content-Length: \(body.count)\r\n" }
            if close { head += "Connection: close\r\n" }
            let request = Data((head + "\r\n").utf8) + body
            let sent = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count, let status = line() else { return nil }
            var headers: [String: String] = [:]
            while let header = line(), !header.isEmpty {
                let parts = header.split(separator: ":", maxSplits: 1)
                headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            }
            var body = Data()
            if method == "HEAD" {
            } else if let length = headers["content-length"].flatMap(Int.init) {
                body = bytes(length) ?? Data()
            } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
                while let size = line().flatMap({ Int($0, radix: 16) }), size > 0 {
                    body += bytes(size) ?? Data()
                    _ = line()
                }
                _ = line()
            }
            let code = Int(status.split(separator: " ").dropFirst().first ?? "") ?? 0
            return Response(status: code, headers: headers, body: body)
        }
    }

    /// Two tasks behind listener `web`, and the load balancer on a free port.
    func balancer(tasks: [SupportServer], extraPorts: [Int] = [], taskTimeout: Duration = .seconds(60)) async throws
        -> (LoadBalancer, LoadBalancer.Bound)
    {
        let router = Router()
        var targets = tasks.enumerated().map { i, task in
            Router.Target(task: "task-\(i)", service: "web", port: Int(task.endpoint.split(separator: ":").last!)!)
        }
        targets += extraPorts.map { Router.Target(task: "dead-\($0)", service: "web", port: $0) }
        router.setPools(["web": targets])
        let balancer = LoadBalancer(router: router, taskTimeout: taskTimeout)
        return (balancer, try await balancer.listen(port: 0, route: .listener("web")))
    }

    @Test func relaysRequestsBodiesAndStreamsOverPooledConnections() async throws {
        let a = try SupportServer(script: "proxy_upstream.py", arguments: ["a"])
        let b = try SupportServer(script: "proxy_upstream.py", arguments: ["b"])
        let (balancer, bound) = try await balancer(tasks: [a, b])
        defer { Task { await bound.close() } }
        try await offThread {
            // Round-robin over both tasks, 20 requests on one kept-alive client connection.
            let client = try Connection(port: bound.port)
            var names: [String: Int] = [:]
            for _ in 0..<20 {
                let response = client.send("GET", "/")
                #expect(response?.status == 200)
                names[String(decoding: response?.body ?? Data(), as: UTF8.self), default: 0] += 1
            }
            #expect(names == ["a": 10, "b": 10])

            // A body goes through and comes back whole, with X-Forwarded-For set.
            let payload = Data((0..<100_000).map { UInt8($0 % 251) })
            let echoed = client.send("POST", "/echo", body: payload)
            #expect(echoed?.status == 200)
            #expect(echoed?.body == payload)
            #expect(echoed?.headers["x-seen-forwarded-for"] == "127.0.0.1")

            // A chunked answer of 5 MB is relayed as it comes.
            let big = client.send("GET", "/big?n=5000000")
            #expect(big?.status == 200)
            #expect(big?.body.count == 5_000_000)

            // HEAD: the headers, no body; the connection stays usable.
            let head = client.send("HEAD", "/")
            #expect(head?.status == 200)
            #expect(head?.headers["content-length"] == "1")
            #expect(client.send("GET", "/")?.status == 200)
        }
        // The tasks saw a handful of connections, not one per request: the proxy pools them.
        try await offThread {
            for task in [a, b] {
                let direct = try Connection(port: Int(task.endpoint.split(separator: ":").last!)!)
                let conns = Int(String(decoding: direct.send("GET", "/conns")?.body ?? Data(), as: UTF8.self)) ?? 99
                // The proxy's pooled connection(s) plus this direct one.
                #expect(conns <= 3, "task accepted \(conns) connections for 13 proxied requests")
            }
        }
        await balancer.shutdown()
    }

    @Test func closedDeadAndMissingTasksAreHandled() async throws {
        let a = try SupportServer(script: "proxy_upstream.py", arguments: ["a"])
        let deadPort = try FreePort.next()
        let (balancer, bound) = try await balancer(tasks: [a], extraPorts: [deadPort])
        try await offThread {
            let client = try Connection(port: bound.port)
            // Every GET answers 200 from task a: the dead port is skipped (connection refused, tried on the
            // other task), and a connection task a closed after answering is not reused.
            for path in ["/close", "/", "/close", "/", "/", "/"] {
                let response = client.send("GET", path)
                #expect(response?.status == 200, "\(path)")
                let name = String(decoding: response?.body ?? Data(), as: UTF8.self)
                #expect(name == "a")
            }
            // A POST is not repeated on another task: refused by the dead one, it is a 502 or task a's answer.
            var statuses: Set<Int> = []
            for _ in 0..<4 { statuses.insert(client.send("POST", "/echo", body: Data("x".utf8))?.status ?? 0) }
            #expect(statuses.isSubset(of: [200, 502]))
            #expect(statuses.contains(200))
            // Connection: close is honoured.
            let last = try Connection(port: bound.port)
            #expect(last.send("GET", "/", close: true)?.headers["connection"] == "close")
            #expect(!last.fill())
        }
        await bound.close()
        // No task at all: 503 from the load balancer itself.
        let (_, empty) = try await self.balancer(tasks: [])
        try await offThread {
            let response = try Connection(port: empty.port).send("GET", "/", close: true)
            #expect(response?.status == 503)
            let text = String(decoding: response?.body ?? Data(), as: UTF8.self)
            #expect(text.contains("no healthy task behind web"))
        }
        await empty.close()
        await balancer.shutdown()
    }

    /// A body over the limit is refused with 413 before any task sees it; a task that stays silent gets
    /// its request answered 504 after the load balancer's task timeout, and is not retried elsewhere.
    @Test func oversizedBodiesAndSilentTasks() async throws {
        let a = try SupportServer(script: "proxy_upstream.py", arguments: ["a"])
        let (balancer, bound) = try await balancer(tasks: [a], taskTimeout: .seconds(1))
        try await offThread {
            let client = try Connection(port: bound.port)
            let huge = client.send("POST", "/echo", body: Data(count: ProxyHandler.bodyLimit + 1))
            #expect(huge?.status == 413)
            #expect(client.send("GET", "/")?.status == 200)
            let started = Date()
            let silent = client.send("GET", "/hang")
            #expect(silent?.status == 504)
            #expect(Date().timeIntervalSince(started) < 10)
        }
        await bound.close()
        await balancer.shutdown()
    }
}
