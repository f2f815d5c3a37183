import Foundation

/// The SDKs' "standard" retry mode: throttling, transient errors and 5xx are retried with exponential
/// backoff and full jitter, up to `maxAttempts`, while a shared retry quota lasts.
package struct RetryPolicy: Sendable {
    /// Attempts per call, including the first (`AWS_MAX_ATTEMPTS`, default 5: a deployment makes many
    /// calls, and one exhausted call fails the stage; a refused connection is never retried).
    package var maxAttempts: Int
    /// The backoff base: attempt n waits random(0, base × 2^(n-1)), capped at `maxBackoff`.
    package var baseDelay: Duration
    /// The longest wait between attempts.
    package var maxBackoff: Duration
    /// How long one attempt may take.
    package var attemptTimeout: Duration
    /// How long a call may take over all its attempts.
    package var callTimeout: Duration

    package init(
        maxAttempts: Int = 5, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20),
        attemptTimeout: Duration = .seconds(30), callTimeout: Duration = .seconds(120)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.attemptTimeout = attemptTimeout
        self.callTimeout = callTimeout
    }

    /// The standard policy with `AWS_MAX_ATTEMPTS` honoured.
    package static func standard(environment: [String: String]) -> RetryPolicy {
        var policy = RetryPolicy()
        if let n = environment["AWS_MAX_ATTEMPTS"].flatMap(Int.init), n >= 1 { policy.maxAttempts = n }
        return policy
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    static let transientCodes: Set<String> = ["RequestTimeout", "RequestTimeoutException", "InternalError"]

    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    func delay(after attempt: Int) -> Duration {
        let cap = min(maxBackoff.seconds, baseDelay.seconds * pow(2, Double(attempt - 1)))
        return .milliseconds(Int64(Double.random(in: 0...cap) * 1000))
    }
}

/// The retry quota shared by every call of a client: retries spend tokens, successes earn them back,
/// so a long outage stops retrying instead of multiplying traffic.
actor RetryQuota {
    private var tokens: Int
    static let capacity = 500
    static let retryCost = 5
    static let timeoutCost = 10

    init() { tokens = Self.capacity }

    /// Takes tokens for a retry; false when the quota is spent.
    func acquire(timeout: Bool) -> Bool {
        let cost = timeout ? Self.timeoutCost : Self.retryCost
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// Gives tokens back after a success.
    func release(_ amount: Int) { tokens = min(Self.capacity, tokens + amount) }
}
