import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP POST of a notification, retried with backoff: a network error, a timeout, 429 or a 5xx is
/// tried again (0.5 s, 1 s, 2 s apart); any other answer ends it.
struct Delivery: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The response of the accepted attempt.
    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    var http: HTTPClient
    var attempts = 4
    var firstBackoff: Duration = .milliseconds(500)
    var attemptTimeout: TimeAmount = .seconds(5)
    /// Says a retry or a failure, without the URL's path or any header.
    var log: @Sendable (String) -> Void

    func post(url: String, body: Data, headers: [(String, String)], name: String) async throws -> Response {
        var backoff = firstBackoff
        var last = ""
        for attempt in 1...attempts {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "pipeline-notify/1")
            for (key, value) in headers { request.headers.add(name: key, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await http.execute(request, timeout: attemptTimeout)
                let buffer = try await response.body.collect(upTo: 1 << 20)
                let data = Data(buffer.readableBytesView)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return Response(status: status, body: data) }
                last = "HTTP \(status)"
                if status != 429 && status < 500 { throw Failure(description: "\(name): \(last), not retried") }
            } catch let failure as Failure {
                throw failure
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                last = Self.describe(error)
            }
            guard attempt < attempts else { break }
            log("\(name): \(last); retrying in \(backoff) (\(attempt)/\(attempts))")
            try await Task.sleep(for: backoff)
            backoff *= 2
        }
        throw Failure(description: "\(name): \(last) after \(attempts) attempts")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: type(of: error))
    }
}
