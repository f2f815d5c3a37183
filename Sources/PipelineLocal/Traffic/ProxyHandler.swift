import Foundation
import NIOCore
import NIOHTTP1

/// One client connection of the load balancer, on its event loop: each request is read whole, sent
/// to a task over a pooled connection of the same loop, and the task's answer is streamed back part by
/// part. A request that cannot be delivered is tried on another task when repeating it is safe.
final class ProxyHandler: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let route: LoadBalancer.Route
    private let pool: UpstreamPool
    private var context: ChannelHandlerContext?

    // The request in flight (the server pipeline hands over one request at a time).
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var listener = ""
    private var tried: Set<String> = []
    private var target: Router.Target?
    private var upstream: UpstreamConnection?
    private var started = NIODeadline.now()
    private var status: Int?
    private var responded = false
    private var tooLarge = false

    /// The largest request body forwarded (it is held whole, to be sent again to another task).
    static let bodyLimit = 64 << 20

    init(router: Router, route: LoadBalancer.Route, pool: UpstreamPool) {
        self.router = router
        self.route = route
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.bodyLimit {
                // Answered once the request ends; what is left of it is read and dropped.
                tooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            tried = []
            if tooLarge {
                tooLarge = false
                respond(
                    .payloadTooLarge,
                    "413 Payload Too Large: request bodies are limited to \(Self.bodyLimit >> 20) MB\n")
                return
            }
            guard let listener = resolveListener(head) else { return }
            self.listener = listener
            forward(head, fresh: false)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away mid-request: the task's answer has nowhere to go.
        if let upstream, target != nil {
            upstream.channel.close(promise: nil)
            finish(status: nil)
        }
        context.fireChannelInactive()
    }

    private func resolveListener(_ head: HTTPRequestHead) -> String? {
        switch route {
        case .listener(let name): return name
        case .byHost:
            let host = head.headers.first(name: "host") ?? ""
            if let name = router.listener(forHost: host) { return name }
            let known = router.knownHosts
            respond(
                .notFound,
                "no service answers for host '\(host)'; aliases: \(known.isEmpty ? "none (run a dns-alias stage)" : known.joined(separator: ", "))\n"
            )
            return nil
        }
    }

    private func forward(_ head: HTTPRequestHead, fresh: Bool) {
        guard let picked = router.pick(listener, excluding: tried) else {
            let status: HTTPResponseStatus = tried.isEmpty ? .serviceUnavailable : .badGateway
            if tried.isEmpty { router.recordELB(listener: listener, status: Int(status.code)) }
            respond(status, "\(status.code) \(status.reasonPhrase): no healthy task behind \(listener)\n")
            return
        }
        target = picked
        started = .now()
        status = nil
        responded = false
        var request = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: head.headers)
        for name in LoadBalancer.hopByHop { request.headers.remove(name: name) }
        request.headers.add(name: "x-forwarded-for", value: "127.0.0.1")
        request.headers.add(name: "x-forwarded-proto", value: "http")
        if let body, body.readableBytes > 0 {
            request.headers.add(name: "content-length", value: String(body.readableBytes))
        }
        let body = self.body
        pool.connection(to: picked.port, fresh: fresh).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                self.upstream = connection
                connection.handler.send(request, body: body, on: connection.channel, to: self)
            case .failure(let error):
                self.upstreamFailed(error, answered: false)
            }
        }
    }

    func upstreamHead(_ response: HTTPResponseHead) {
        guard let context, let head else { return }
        responded = true
        status = Int(response.status.code)
        var headers = response.headers
        for name in LoadBalancer.hopByHop where name != "content-length" { headers.remove(name: name) }
        if !head.isKeepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
            promise: nil)
    }

    func upstreamBody(_ chunk: ByteBuffer) {
        guard let context, head?.method != .HEAD else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
    }

    /// The task's socket has no more to read for now: what was relayed goes out in one write.
    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamEnd(keepAlive: Bool) {
        if let upstream, let target {
            if keepAlive { pool.release(upstream, port: target.port) } else { upstream.channel.close(promise: nil) }
        }
        finish(status: status)
        endResponse()
    }

    func upstreamFailed(_ error: any Error, answered: Bool) {
        let reused = upstream?.reused ?? false
        upstream?.channel.close(promise: nil)
        upstream = nil
        guard let head, let failed = target else { return }
        finish(status: nil)
        if answered || responded {
            // Part of an answer went out: the client's connection cannot carry another.
            context?.close(promise: nil)
            return
        }
        if error is UpstreamTimeout {
            respond(.gatewayTimeout, "504 Gateway Timeout: task \(failed.task) sent \(error)\n")
            return
        }
        let idempotent = [HTTPMethod.GET, .HEAD, .OPTIONS, .PUT, .DELETE].contains(head.method)
        guard idempotent else {
            respond(.badGateway, "502 Bad Gateway: task \(failed.task) did not answer: \(error)\n")
            return
        }
        if reused {
            // A kept-alive connection the task had closed says nothing about the task: it is not
            // excluded, and the next pick (round-robin) is tried on a new connection.
            forward(head, fresh: true)
            return
        }
        tried.insert(failed.task)
        guard tried.count < 3 else {
            respond(.badGateway, "502 Bad Gateway: task \(failed.task) did not answer: \(error)\n")
            return
        }
        forward(head, fresh: false)
    }

    /// Counts the request for its task (in-flight count, metrics) once.
    private func finish(status: Int?) {
        guard let target else { return }
        self.target = nil
        let elapsed = NIODeadline.now() - started
        router.finish(target, listener: listener, status: status, latency: Double(elapsed.nanoseconds) / 1e9)
    }

    private func respond(_ status: HTTPResponseStatus, _ message: String) {
        guard let context, let head else { return }
        var headers: HTTPHeaders = ["content-type": "text/plain; charset=utf-8"]
        headers.add(name: "content-length", value: String(message.utf8.count))
        if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if head.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: message)))), promise: nil)
        }
        endResponse()
    }

    private func endResponse() {
        guard let context, let head else { return }
        self.head = nil
        body = nil
        upstream = nil
        if head.isKeepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
