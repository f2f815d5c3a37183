import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Kept-alive connections to tasks, one pool per event loop, used only on that loop: a request
/// forwarded on loop L reuses an idle connection L opened earlier, so the proxy never hops threads.
// @unchecked: every method checks that it runs on `eventLoop`, its one thread.
final class UpstreamPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var idle: [Int: [any Channel]] = [:]
    /// Idle connections kept per task port.
    static let idleLimit = 32
    /// How long a task may stay silent (answering a request, or idle in the pool).
    let readTimeout: TimeAmount

    init(eventLoop: any EventLoop, readTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.readTimeout = readTimeout
    }

    /// An idle connection to `port` (unless `fresh`), or a new one.
    func connection(to port: Int, fresh: Bool) -> EventLoopFuture<UpstreamConnection> {
        eventLoop.preconditionInEventLoop()
        while !fresh, var channels = idle[port], let channel = channels.popLast() {
            idle[port] = channels
            if channel.isActive, let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            {
                return eventLoop.makeSucceededFuture(
                    UpstreamConnection(channel: channel, handler: handler, reused: true))
            }
        }
        let readTimeout = self.readTimeout
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A task that sends nothing for this long has its request answered 504; an idle pooled
                    // connection is closed.
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: readTimeout))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(readTimeout: readTimeout))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                return UpstreamConnection(channel: channel, handler: handler, reused: false)
            }
    }

    /// Takes back a connection whose response ended and that may be used again.
    func release(_ connection: UpstreamConnection, port: Int) {
        eventLoop.preconditionInEventLoop()
        guard connection.channel.isActive, idle[port, default: []].count < Self.idleLimit else {
            connection.channel.close(promise: nil)
            return
        }
        idle[port, default: []].append(connection.channel)
    }

    /// Closes every idle connection.
    func closeAll() {
        eventLoop.preconditionInEventLoop()
        for channel in idle.values.joined() { channel.close(promise: nil) }
        idle = [:]
    }
}

/// The pools of every event loop the load balancer's connections live on.
final class UpstreamPools: @unchecked Sendable {
    private let lock = NSLock()
    private var pools: [ObjectIdentifier: UpstreamPool] = [:]
    let readTimeout: TimeAmount

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    /// The pool of `eventLoop` (made on first use); use it only on that loop.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        lock.withLock {
            let key = ObjectIdentifier(eventLoop)
            if let pool = pools[key] { return pool }
            let pool = UpstreamPool(eventLoop: eventLoop, readTimeout: readTimeout)
            pools[key] = pool
            return pool
        }
    }

    /// Closes the idle connections of every pool, each on its loop.
    func closeAll() async {
        let all = lock.withLock { Array(pools.values) }
        for pool in all {
            try? await pool.eventLoop.submit { pool.closeAll() }.get()
        }
    }
}

/// One connection to a task with the handler that relays its responses (used on its event loop only).
struct UpstreamConnection: @unchecked Sendable {
    let channel: any Channel
    let handler: UpstreamHandler
    /// Taken from the pool (it may have been closed by the task meanwhile: a failure before any answer
    /// is then retried on a new connection).
    let reused: Bool
}

/// What the front side is told about one forwarded request.
protocol UpstreamDelegate: AnyObject {
    func upstreamHead(_ head: HTTPResponseHead)
    func upstreamBody(_ body: ByteBuffer)
    func upstreamEnd(keepAlive: Bool)
    /// The task's connection has nothing more to read for now.
    func upstreamReadComplete()
    /// The connection failed or closed; `answered` tells whether any part of a response arrived.
    func upstreamFailed(_ error: any Error, answered: Bool)
}

/// The task side of a proxied request: hands response parts to the front connection waiting for them.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let readTimeout: TimeAmount

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    private weak var delegate: (any UpstreamDelegate)?
    private var answered = false
    private var keepAlive = true

    /// Sends a request whose response goes to `delegate`.
    func send(
        _ head: HTTPRequestHead, body: ByteBuffer?, on channel: any Channel, to delegate: any UpstreamDelegate
    ) {
        self.delegate = delegate
        answered = false
        keepAlive = head.isKeepAlive
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, body.readableBytes > 0 {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: written)
        written.futureResult.assumeIsolated().whenFailure { [weak self] error in self?.fail(error) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            answered = true
            keepAlive = keepAlive && head.isKeepAlive
            delegate?.upstreamHead(head)
        case .body(let body):
            delegate?.upstreamBody(body)
        case .end:
            let delegate = self.delegate
            self.delegate = nil
            delegate?.upstreamEnd(keepAlive: keepAlive)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            fail(UpstreamTimeout(limit: readTimeout))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard let delegate else { return }
        self.delegate = nil
        delegate.upstreamFailed(error, answered: answered)
    }
}

/// A task answered nothing within the pool's `readTimeout`.
struct UpstreamTimeout: Error, CustomStringConvertible {
    let limit: TimeAmount
    var description: String { "no answer within \(Double(limit.nanoseconds) / 1e9) s" }
}
