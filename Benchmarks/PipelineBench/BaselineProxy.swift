import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The local load balancer's design before issue 19, kept here only as the benchmark's baseline: an
/// NIOAsyncChannel server whose every request is read in a Swift task and forwarded with
/// AsyncHTTPClient (each request hops between NIO's event loops and the cooperative pool).
/// Round-robin over fixed ports, without the router's health and metrics.
struct BaselineProxy: Sendable {
    let port: Int
    let channel: any Channel
    let client: HTTPClient

    static func start(upstreams: [Int]) async throws -> BaselineProxy {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let next = RoundRobin()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            try? await connection.executeThenClose { requests, responses in
                                var head: HTTPRequestHead?
                                for try await part in requests {
                                    switch part {
                                    case .head(let h): head = h
                                    case .body: continue
                                    case .end:
                                        guard let request = head else { continue }
                                        let upstream = upstreams[next.next() % upstreams.count]
                                        var forwarded = HTTPClientRequest(
                                            url: "http://127.0.0.1:\(upstream)\(request.uri)")
                                        forwarded.method = request.method
                                        let response = try await client.execute(forwarded, timeout: .seconds(60))
                                        let payload = try await response.body.collect(upTo: 64 << 20)
                                        var headers = HTTPHeaders()
                                        headers.add(name: "content-length", value: String(payload.readableBytes))
                                        try await responses.write(
                                            .head(
                                                HTTPResponseHead(
                                                    version: request.version, status: response.status, headers: headers)
                                            ))
                                        try await responses.write(.body(.byteBuffer(payload)))
                                        try await responses.write(.end(nil))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return BaselineProxy(port: server.channel.localAddress?.port ?? 0, channel: server.channel, client: client)
    }

    func stop() async {
        try? await channel.close()
        try? await client.shutdown()
    }
}

final class RoundRobin: Sendable {
    private let counter = Atomic<Int>(0)
    func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
