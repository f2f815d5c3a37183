import Foundation

/// AWS credentials. Their description never shows the secret or the token.
package struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package var accessKeyID: String
    package var secretAccessKey: String
    package var sessionToken: String?
    /// When temporary credentials expire.
    package var expiration: Date?
    /// Where they came from (`environment`, `profile default`, `container`, `imds`, ...).
    package var source: String

    package init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
        source: String
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    package var description: String {
        let prefix = accessKeyID.prefix(4)
        return "AWSCredentials(\(prefix)…, from \(source)\(expiration.map { ", expires \($0)" } ?? ""))"
    }

    package var debugDescription: String { description }

    /// True when the credentials expire within `margin`.
    package func expires(within margin: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}

/// Finds credentials; nil means "not configured here, try the next source".
package protocol CredentialProvider: Sendable {
    /// A name for messages.
    var name: String { get }
    /// The credentials, or nil when this source is not configured.
    func credentials() async throws -> AWSCredentials?
}

/// Why credentials could not be found or loaded.
package struct CredentialError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
