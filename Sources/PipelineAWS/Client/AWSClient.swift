import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PipelineCore
import Synchronization

/// A small AWS client: signs every request with SigV4, retries as the SDKs' standard mode does,
/// and shares one connection pool. Service calls live in `ECS`, `CloudWatch`, `ELBv2`, `Route53`,
/// `ServiceDiscovery`.
package final class AWSClient: Sendable {
    /// Region and endpoints.
    package let configuration: AWSConfiguration
    /// Retry and timeout settings.
    package let retry: RetryPolicy
    let credentials: any CredentialProvider
    let http: HTTPClient
    let quota = RetryQuota()
    let logger: Logger
    private let counters = Mutex<(calls: Int, attempts: Int)>((0, 0))

    package init(
        configuration: AWSConfiguration, credentials: any CredentialProvider, retry: RetryPolicy = RetryPolicy(),
        http: HTTPClient = AWSClient.sharedHTTP, logger: Logger = Logger(label: "pipeline.aws")
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.retry = retry
        self.http = http
        self.logger = logger
    }

    /// The connection pool every AWS client shares: connecting has a timeout of its own
    /// (`connectTimeout`, much shorter than an attempt's), and a refused or failed connection fails the
    /// attempt at once instead of being retried by the pool until the attempt's deadline; the retry
    /// policy decides what happens next.
    package static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(Int64(connectTimeout.components.seconds))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// How long opening a connection to an AWS endpoint may take.
    package static let connectTimeout: Duration = .seconds(5)

    /// A client with the default credential chain and retry policy for an environment.
    package static func standard(region: String, endpointOverride: String? = nil, environment: [String: String])
        -> AWSClient
    {
        AWSClient(
            configuration: AWSConfiguration(
                region: region, endpointOverride: endpointOverride, environment: environment),
            credentials: CredentialChain.standard(environment: environment, http: .shared),
            retry: .standard(environment: environment))
    }

    /// Finds credentials now, so a run without any stops before it starts; throws `PipelineError(.invalidInput)`.
    package func checkCredentials() async throws {
        do {
            guard try await credentials.credentials() != nil else {
                throw PipelineError(.invalidInput, "no AWS credentials found")
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.invalidInput, "AWS credentials: \(error)")
        }
    }

    /// Calls and HTTP attempts made so far (for benchmarks and the dry-run report).
    package var callCount: (calls: Int, attempts: Int) { counters.withLock { $0 } }

    /// One request before signing.
    struct Request: Sendable {
        var service: AWSService
        var operation: String
        var method: HTTPMethod = .POST
        var path: String = "/"
        var query: String = ""
        var headers: [(String, String)] = []
        var body: Data = Data()
        /// False for calls that must not be repeated once they may have reached the server.
        var idempotent: Bool = true
        /// A base URL other than the service's endpoint (S3's virtual-hosted bucket addresses).
        var endpoint: String?
    }

    /// A response with a 2xx status.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// Sends a request with signing and retries; throws `AWSError`.
    func send(_ request: Request) async throws -> Response {
        counters.withLock { $0.calls += 1 }
        CallMeter.current?.count("\(request.service.name).\(request.operation)")
        StartupTrace.platformCall(request.operation)
        let dimensions = [("service", request.service.name), ("operation", request.operation)]
        Counter(label: "pipeline_aws_calls_total", dimensions: dimensions).increment()
        let deadline = ContinuousClock.now + retry.callTimeout
        var attempt = 0
        var retried = false
        while true {
            attempt += 1
            counters.withLock { $0.attempts += 1 }
            let outcome = await self.attempt(request, attempt: attempt, deadline: deadline)
            switch outcome {
            case .success(let response):
                await quota.release(retried ? RetryQuota.retryCost : 1)
                return response
            case .failure(var error, let retryable, let timedOut):
                error.attempts = attempt
                let canRetry =
                    retryable && attempt < retry.maxAttempts && ContinuousClock.now < deadline
                    && !Task.isCancelled
                guard canRetry, await quota.acquire(timeout: timedOut) else { throw error }
                let delay = retry.delay(after: attempt)
                logger.debug(
                    "retrying \(request.service.name) \(request.operation) after \(error.code) (attempt \(attempt + 1)/\(retry.maxAttempts), in \(delay))"
                )
                retried = true
                Counter(label: "pipeline_aws_retries_total", dimensions: dimensions).increment()
                try await Task.sleep(for: delay)
            }
        }
    }

    enum Outcome {
        case success(Response)
        case failure(AWSError, retryable: Bool, timedOut: Bool)
    }

    private func attempt(_ request: Request, attempt: Int, deadline: ContinuousClock.Instant) async -> Outcome {
        let service = request.service
        func failure(_ status: Int, _ code: String, _ message: String, _ id: String? = nil) -> AWSError {
            AWSError(
                service: service.name, operation: request.operation, status: status, code: code, message: message,
                requestID: id)
        }
        let creds: AWSCredentials
        do {
            guard let found = try await credentials.credentials() else {
                return .failure(
                    failure(0, "NoCredentials", "no AWS credentials found"), retryable: false, timedOut: false)
            }
            creds = found
        } catch {
            return .failure(failure(0, "CredentialsError", "\(error)"), retryable: false, timedOut: false)
        }
        let endpoint = request.endpoint ?? configuration.endpoint(for: service)
        guard let base = URL(string: endpoint), let host = base.host else {
            return .failure(
                failure(0, "InvalidEndpoint", "endpoint '\(endpoint)' is not a URL"), retryable: false, timedOut: false)
        }
        let basePath = base.path == "/" ? "" : base.path
        let path = basePath + request.path
        let hostHeader = base.port.map { "\(host):\($0)" } ?? host
        let amzDate = SigV4.amzDate(Date())
        var headers = request.headers
        headers.append(("host", hostHeader))
        headers.append(("x-amz-date", amzDate))
        if let token = creds.sessionToken { headers.append(("x-amz-security-token", token)) }
        let payloadHash = SigV4.hexSHA256(request.body)
        if service.s3Signing { headers.append(("x-amz-content-sha256", payloadHash)) }
        let signed = SigV4.sign(
            SigV4.Request(
                method: request.method.rawValue, path: path, query: request.query, headers: headers,
                payloadHash: payloadHash),
            accessKeyID: creds.accessKeyID, secretAccessKey: creds.secretAccessKey,
            region: configuration.signingRegion(for: service), service: service.signingName, amzDate: amzDate,
            normalizePath: !service.s3Signing)

        let scheme = base.scheme ?? "https"
        var url = "\(scheme)://\(hostHeader)\(path)"
        if !request.query.isEmpty { url += "?\(request.query)" }
        var http = HTTPClientRequest(url: url)
        http.method = request.method
        for (name, value) in headers where name != "host" { http.headers.add(name: name, value: value) }
        http.headers.add(name: "Authorization", value: signed.authorization)
        http.headers.add(name: "User-Agent", value: "pipeline/0.1 (swift)")
        if !request.body.isEmpty || request.method == .POST || request.method == .PUT {
            http.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let remaining = deadline - ContinuousClock.now
        let timeout = min(retry.attemptTimeout, max(remaining, .milliseconds(1)))
        do {
            let response = try await self.http.execute(http, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
            let body = Data((try await response.body.collect(upTo: 64 << 20)).readableBytesView)
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                return .success(Response(status: status, headers: response.headers, body: body))
            }
            let parsed = AWSErrorBody.parse(body, headers: response.headers)
            let error = failure(status, parsed.code ?? "HTTP\(status)", parsed.message ?? "", parsed.requestID)
            let code = parsed.code ?? ""
            let throttled = status == 429 || RetryPolicy.throttlingCodes.contains(code)
            let transient = RetryPolicy.transientCodes.contains(code) || [500, 502, 503, 504].contains(status)
            // A non-idempotent call is retried only when the server says it did not process it.
            let retryable = throttled || (transient && (request.idempotent || status == 503))
            return .failure(error, retryable: retryable, timedOut: false)
        } catch {
            let (code, sent, timedOut) = Self.classify(error)
            let endpoint = "\(scheme)://\(hostHeader)"
            let message: String
            switch code {
            case "ConnectionRefused": message = "could not connect to \(endpoint): connection refused"
            case "ConnectTimeout":
                message = "could not connect to \(endpoint) within \(Self.connectTimeout.components.seconds)s"
            default: message = sent ? "\(error)" : "could not connect to \(endpoint): \(error)"
            }
            // Nothing listens at a refused address: retrying within seconds only delays the answer.
            let retryable = code != "ConnectionRefused" && (!sent || request.idempotent)
            return .failure(failure(0, code, message), retryable: retryable, timedOut: timedOut)
        }
    }

    /// Names a transport error and says whether the request may have reached the server.
    static func classify(_ error: any Error) -> (code: String, sent: Bool, timedOut: Bool) {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return ("ConnectTimeout", false, true)
            case .readTimeout, .deadlineExceeded: return ("Timeout", true, true)
            case .remoteConnectionClosed: return ("ConnectionClosed", true, false)
            default: return ("HTTPClientError", true, false)
            }
        }
        if let e = error as? IOError {
            if e.errnoCode == ECONNREFUSED { return ("ConnectionRefused", false, false) }
            return ("ConnectionReset", true, false)
        }
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return ("ConnectionRefused", false, false)
        }
        if text.contains("reset") || text.contains("ECONNRESET") || text.contains("closed") {
            return ("ConnectionReset", true, false)
        }
        return ("TransportError", true, false)
    }
}
