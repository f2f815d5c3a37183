import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Talks to a running agent over its unix socket.
package struct AgentClient: Sendable {
    package let socketPath: String

    package init(socketPath: String) { self.socketPath = socketPath }

    /// Sends one request without blocking the caller's thread pool.
    package func send(_ request: AgentRequest, timeout: Double = 60) async throws -> AgentResponse {
        let result: Result<AgentResponse, PipelineError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: .success(try sendBlocking(request, timeout: timeout))) } catch {
                    continuation.resume(returning: .failure(error as? PipelineError ?? PipelineError(.io, "\(error)")))
                }
            }
        }
        return try result.get()
    }

    /// Sends one request and turns an error answer into a `PipelineError`.
    package func call(_ request: AgentRequest, timeout: Double = 60) async throws -> AgentResponse {
        CallMeter.current?.count("agent.\(request.name)")
        let response = try await send(request, timeout: timeout)
        guard response.ok else {
            let code: PipelineError.Code =
                switch response.code {
                case "invalidInput": .invalidInput
                case "notFound": .notFound
                default: .io
                }
            throw PipelineError(code, "local agent: \(response.error ?? "request failed")")
        }
        return response
    }

    package func sendBlocking(_ request: AgentRequest, timeout: Double) throws -> AgentResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PipelineError(.io, "cannot create a socket") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw PipelineError(
                .invalidInput,
                "the agent socket path \(socketPath) is \(bytes.count) bytes, over the \(capacity - 1) a unix socket allows: use a shorter --state-dir"
            )
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw PipelineError(.io, "no local agent answers on \(socketPath): \(String(cString: strerror(errno)))")
        }
        var payload = try JSONEncoder.agent.encode(request)
        payload.append(0x0A)
        try payload.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw PipelineError(.io, "cannot write to the local agent") }
                offset += n
            }
        }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while answer.last != 0x0A {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw PipelineError(
                    .timedOut, "the local agent did not answer '\(request.name)' within \(Int(timeout))s")
            }
            guard n > 0 else { break }
            answer.append(contentsOf: buffer[0..<n])
        }
        do { return try JSONDecoder.agent.decode(AgentResponse.self, from: answer) } catch {
            throw PipelineError(.io, "the local agent's answer to '\(request.name)' cannot be read: \(error)")
        }
    }
}
