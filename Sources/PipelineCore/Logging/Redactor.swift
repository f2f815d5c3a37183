import Foundation

/// Masks secret values (credentials, tokens, passwords) wherever text leaves the engine.
public struct Redactor: Sendable {
    private let secrets: [String]

    /// Collects the values of secret-looking variables in an environment.
    public init(environment: [String: String], extra: [String] = []) {
        var values = extra
        for (name, value) in environment where Self.isSecretName(name) { values.append(value) }
        secrets = Array(Set(values.filter { $0.count >= 6 })).sorted { $0.count > $1.count }
    }

    /// Whether a variable name looks like it holds a secret.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper == "AWS_ACCESS_KEY_ID" { return true }
        return ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE_KEY", "CREDENTIAL", "API_KEY"].contains {
            upper.contains($0)
        }
    }

    /// The text with every secret value replaced by `***`.
    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }
}
