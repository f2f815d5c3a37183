import Foundation
import PipelineTestSupport
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A lean HTTP/1.1 load generator for the proxy figures: one thread per client, a kept-alive blocking
/// socket each, `GET /` in a loop, responses read by their Content-Length. Light enough that the
/// proxy, not the client, is what the figures measure.
enum RawLoad {
    /// Requests per second and failures of `clients` threads hitting 127.0.0.1:port for `seconds`.
    static func throughput(port: Int, clients: Int, seconds: Double) -> (perSecond: Double, failed: Int) {
        let deadline = Date().addingTimeInterval(seconds)
        let tally = Tally()
        let start = Date()
        let done = DispatchGroup()
        for _ in 0..<clients {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                var ok = 0
                var failed = 0
                var fd = connectTo(port)
                while Date() < deadline {
                    if fd >= 0, request(fd) {
                        ok += 1
                    } else {
                        failed += 1
                        if fd >= 0 { close(fd) }
                        fd = connectTo(port)
                    }
                }
                if fd >= 0 { close(fd) }
                tally.add(ok, failed)
            }
        }
        done.wait()
        let elapsed = Date().timeIntervalSince(start)
        let (ok, failed) = tally.totals
        return (Double(ok) / elapsed, failed)
    }

    final class Tally: Sendable {
        private let counts = Mutex<(Int, Int)>((0, 0))
        func add(_ ok: Int, _ failed: Int) { counts.withLock { $0 = ($0.0 + ok, $0.1 + failed) } }
        var totals: (Int, Int) { counts.withLock { $0 } }
    }

    static func connectTo(_ port: Int) -> Int32 { TCP.connect(port: port) }

    static let requestBytes = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: pipeline-bench\r\n\r\n".utf8)

    /// One request and its whole response; false on any failure or a status other than 200.
    static func request(_ fd: Int32) -> Bool {
        let sent = requestBytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == requestBytes.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 8192)
        var have = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
            guard n > 0 else { return false }
            have += n
            // Headers complete?
            guard let end = headerEnd(buffer, have) else {
                if have == buffer.count { return false }
                continue
            }
            let head = String(decoding: buffer[0..<end], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 200"), let length = contentLength(head) else { return false }
            var body = have - (end + 4)
            while body < length {
                let m = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard m > 0 else { return false }
                body += m
            }
            return true
        }
    }

    static func headerEnd(_ buffer: [UInt8], _ count: Int) -> Int? {
        guard count >= 4 else { return nil }
        for i in 0...(count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func contentLength(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
