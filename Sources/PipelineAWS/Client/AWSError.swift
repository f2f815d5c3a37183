import PipelineCore

/// A failed AWS call: service, operation, HTTP status, AWS error code, message and request id.
/// It never holds credentials or signatures.
package struct AWSError: Error, Sendable, CustomStringConvertible {
    package var service: String
    package var operation: String
    /// 0 when no HTTP response arrived.
    package var status: Int
    /// AWS's error code (`ClusterNotFoundException`, `Throttling`, ...), or a transport kind.
    package var code: String
    package var message: String
    package var requestID: String?
    /// How many attempts were made.
    package var attempts: Int

    package init(
        service: String, operation: String, status: Int, code: String, message: String, requestID: String? = nil,
        attempts: Int = 1
    ) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.attempts = attempts
    }

    /// One readable line.
    package var description: String {
        var text = "\(service) \(operation) failed"
        text += status > 0 ? " (HTTP \(status) \(code))" : " (\(code))"
        if !message.isEmpty { text += ": \(message)" }
        if let requestID { text += " [request id \(requestID)]" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }
}

extension AWSError: TransientFailure {
    /// Throttling, a server error, or a transport failure: the same call may succeed later.
    package var isTransient: Bool {
        status == 0 || status >= 500 || status == 429 || RetryPolicy.throttlingCodes.contains(code)
            || RetryPolicy.transientCodes.contains(code)
    }

    /// The request may have been applied although no success came back: it reached the server and
    /// the answer was lost (a timeout, a dropped connection) or was a server error.
    package var mayHaveBeenApplied: Bool {
        if status == 0 {
            return ["Timeout", "ConnectionClosed", "ConnectionReset", "TransportError", "HTTPClientError"].contains(
                code)
        }
        return status >= 500 && status != 503
    }
}
