import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The local load balancer: HTTP reverse proxies on 127.0.0.1 that spread requests round-robin over the
/// healthy targets the `Router` holds, and a front listener that picks the listener by Host header.
package final class LoadBalancer: Sendable {
    let router: Router
    let client: HTTPClient

    /// What a listener routes to.
    enum Route: Sendable {
        case listener(String)
        case byHost
    }

    package init(router: Router) {
        self.router = router
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// A bound listener; `close()` stops accepting.
    package struct Bound: Sendable {
        let channel: any Channel
        package let port: Int
        package func close() async { try? await channel.close() }
    }

    /// Binds 127.0.0.1:port and serves in the background.
    func listen(port: Int, route: Route) async throws -> Bound {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let channel = server.channel
        Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection, route: route) }
                    }
                }
            }
        }
        return Bound(channel: channel, port: channel.localAddress?.port ?? port)
    }

    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, route: Route) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { continue }
                    let (status, headers, payload) = await handle(request, body: body, route: route)
                    var responseHeaders = headers
                    responseHeaders.replaceOrAdd(name: "content-length", value: String(payload.readableBytes))
                    if !request.isKeepAlive { responseHeaders.replaceOrAdd(name: "connection", value: "close") }
                    try await outbound.write(
                        .head(HTTPResponseHead(version: request.version, status: status, headers: responseHeaders)))
                    if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(payload))) }
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                    head = nil
                }
            }
        }
    }

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "content-length",
    ]

    func handle(_ head: HTTPRequestHead, body: ByteBuffer, route: Route) async -> (
        HTTPResponseStatus, HTTPHeaders, ByteBuffer
    ) {
        let listener: String
        switch route {
        case .listener(let name): listener = name
        case .byHost:
            let host = head.headers.first(name: "host") ?? ""
            guard let name = router.listener(forHost: host) else {
                let known = router.knownHosts
                return Self.text(
                    .notFound,
                    "no service answers for host '\(host)'; aliases: \(known.isEmpty ? "none (run a dns-alias stage)" : known.joined(separator: ", "))\n"
                )
            }
            listener = name
        }
        let idempotent = [HTTPMethod.GET, .HEAD, .OPTIONS, .PUT, .DELETE].contains(head.method)
        var tried = Set<String>()
        while true {
            guard let target = router.pick(listener, excluding: tried) else {
                let status: HTTPResponseStatus = tried.isEmpty ? .serviceUnavailable : .badGateway
                if tried.isEmpty { router.recordELB(listener: listener, status: Int(status.code)) }
                return Self.text(status, "\(status.code) \(status.reasonPhrase): no healthy task behind \(listener)\n")
            }
            let started = ContinuousClock.now
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(target.port)\(head.uri)")
            request.method = head.method
            for (name, value) in head.headers where !Self.hopByHop.contains(name.lowercased()) {
                request.headers.add(name: name, value: value)
            }
            request.headers.add(name: "x-forwarded-for", value: "127.0.0.1")
            request.headers.add(name: "x-forwarded-proto", value: "http")
            if body.readableBytes > 0 { request.body = .bytes(body) }
            do {
                let response = try await client.execute(request, timeout: .seconds(60))
                let payload = try await response.body.collect(upTo: 64 << 20)
                router.finish(
                    target, listener: listener, status: Int(response.status.code), latency: seconds(since: started))
                var headers = HTTPHeaders()
                for (name, value) in response.headers where !Self.hopByHop.contains(name.lowercased()) {
                    headers.add(name: name, value: value)
                }
                return (response.status, headers, payload)
            } catch {
                router.finish(target, listener: listener, status: nil, latency: seconds(since: started))
                tried.insert(target.task)
                // Try another task when repeating the request is safe.
                if idempotent, tried.count < 3 { continue }
                return Self.text(.badGateway, "502 Bad Gateway: task \(target.task) did not answer: \(error)\n")
            }
        }
    }

    func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func text(_ status: HTTPResponseStatus, _ message: String) -> (HTTPResponseStatus, HTTPHeaders, ByteBuffer) {
        (status, ["content-type": "text/plain; charset=utf-8"], ByteBuffer(string: message))
    }
}
