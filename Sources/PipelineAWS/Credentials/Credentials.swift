import Foundation

/// AWS credentials. Their description never shows the secret or the token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials expire.
    public var expiration: Date?
    /// Where they came from (`environment`, `profile default`, `container`, `imds`, ...).
    public var source: String

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
        source: String
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String {
        let prefix = accessKeyID.prefix(4)
        return "AWSCredentials(\(prefix)…, from \(source)\(expiration.map { ", expires \($0)" } ?? ""))"
    }

    public var debugDescription: String { description }

    /// True when the credentials expire within `margin`.
    public func expires(within margin: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}

/// Finds credentials; nil means "not configured here, try the next source".
public protocol CredentialProvider: Sendable {
    /// A name for messages.
    var name: String { get }
    /// The credentials, or nil when this source is not configured.
    func credentials() async throws -> AWSCredentials?
}

/// Why credentials could not be found or loaded.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
