import Foundation
import NIOCore
import NIOPosix

/// The agent's control socket: one JSON request line per connection, one JSON answer line.
enum AgentServer {
    /// Binds `path` and serves `runtime` until the channel is closed; `onStop` is called for a `stop` request.
    static func start(path: String, runtime: LocalRuntime, onStop: @escaping @Sendable () -> Void) async throws
        -> any Channel
    {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        chmod(path, 0o600)
        Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, runtime: runtime, onStop: onStop) }
                    }
                }
            }
        }
        return server.channel
    }

    static func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, runtime: LocalRuntime, onStop: @Sendable () -> Void
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var pending = ByteBuffer()
            for try await var chunk in inbound {
                pending.writeBuffer(&chunk)
                guard let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                    if pending.readableBytes > 64 << 20 { return }
                    continue
                }
                let line = pending.getSlice(at: pending.readerIndex, length: newline - pending.readerIndex)!
                let response: AgentResponse
                do {
                    let request = try JSONDecoder.agent.decode(AgentRequest.self, from: Data(line.readableBytesView))
                    if case .stop = request {
                        var r = AgentResponse()
                        r.pid = getpid()
                        response = r
                        onStop()
                    } else {
                        response = await runtime.handle(request)
                    }
                } catch {
                    response = .failure(error)
                }
                var data = try JSONEncoder.agent.encode(response)
                data.append(0x0A)
                try await outbound.write(ByteBuffer(bytes: data))
                return
            }
        }
    }
}

extension JSONEncoder {
    static var agent: JSONEncoder {
        let encoder = JSONEncoder()
        // Seconds with their fraction: alarm history is compared at sub-second precision.
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    static var agent: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
}
