import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `pipeline-bench stand-in-task`: a task for the local provider that answers every request at once
/// (GET / with a JSON body the size of hello-service's, GET /health with "ok") on `$PORT`, on one
/// event loop. Behind it the load balancer's own cost is what the throughput figure shows; the
/// Python tasks of examples/hello-service take about half of this machine's CPU themselves.
enum StandInTask {
    static func serve() throws -> Never {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        guard let port = ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) else {
            FileHandle.standardError.write(Data("stand-in-task: PORT is not set\n".utf8))
            exit(2)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Answer())
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        try channel.closeFuture.wait()
        exit(0)
    }

    /// Answers each request when its end arrives; keeps the connection open unless the client closes it.
    final class Answer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        static let body = #"{"message": "hello, world", "version": "1", "commit": "", "task": "stand-in"}"# + "\n"
        private var head: HTTPRequestHead?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let request): head = request
            case .body: break
            case .end:
                guard let request = head else { return }
                head = nil
                let text = request.uri == "/health" ? "ok\n" : Self.body
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: request.uri == "/health" ? "text/plain" : "application/json")
                headers.add(name: "content-length", value: String(text.utf8.count))
                if !request.isKeepAlive { headers.add(name: "connection", value: "close") }
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))),
                    promise: nil)
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
                let ended = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if !request.isKeepAlive {
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    ended.whenComplete { _ in bound.value.close(promise: nil) }
                }
            }
        }
    }
}
