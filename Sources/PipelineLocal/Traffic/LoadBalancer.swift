import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The local load balancer: HTTP reverse proxies on 127.0.0.1 that spread requests round-robin over the
/// healthy targets the `Router` holds, and a front listener that picks the listener by Host header.
/// Requests are forwarded on the event loop that accepted them (`ProxyHandler`), over kept-alive
/// connections to the tasks pooled per loop (`UpstreamPool`).
package final class LoadBalancer: Sendable {
    let router: Router
    let pools: UpstreamPools

    /// What a listener routes to.
    enum Route: Sendable {
        case listener(String)
        case byHost
    }

    /// A load balancer over the router's targets; a task silent for `taskTimeout` gets its request
    /// answered 504 (ELB's idle timeout is 60 s too).
    package init(router: Router, taskTimeout: Duration = .seconds(60)) {
        self.router = router
        self.pools = UpstreamPools(readTimeout: TimeAmount(taskTimeout))
    }

    /// Closes the idle connections to tasks.
    package func shutdown() async {
        await pools.closeAll()
    }

    /// A bound listener; `close()` stops accepting.
    package struct Bound: Sendable {
        let channel: any Channel
        package let port: Int
        package func close() async { try? await channel.close() }
    }

    /// Binds 127.0.0.1:port and serves in the background.
    func listen(port: Int, route: Route) async throws -> Bound {
        let (router, pools) = (self.router, self.pools)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyHandler(router: router, route: route, pool: pools.pool(for: channel.eventLoop)))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        return Bound(channel: channel, port: channel.localAddress?.port ?? port)
    }

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "content-length",
    ]
}
