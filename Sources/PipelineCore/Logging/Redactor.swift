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

    /// Whether the text holds a secret value.
    public func containsSecret(_ text: String) -> Bool { secrets.contains { text.contains($0) } }

    /// Outputs with every secret value in their strings replaced by `***`.
    func redact(_ outputs: StageOutputs) -> StageOutputs {
        outputs.mapValues { value in
            if case .string(let s) = value { return .string(redact(s)) }
            return value
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

/// Saves artifacts with every secret value masked: nothing a stage saves under the state folder holds
/// a secret in clear (a second line of defence behind the stages' own checks).
struct RedactingArtifacts: ArtifactSink {
    let base: any ArtifactSink
    let redactor: Redactor

    func save(_ name: String, data: Data) throws {
        guard let text = String(data: data, encoding: .utf8), redactor.containsSecret(text) else {
            return try base.save(name, data: data)
        }
        try base.save(name, data: Data(redactor.redact(text).utf8))
    }

    func load(_ name: String) throws -> Data? { try base.load(name) }
}
