import Foundation
import PipelineCore

/// `~/.aws/config` and `~/.aws/credentials` (or `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`).
package struct SharedConfig: Sendable {
    /// Sections by profile name; in the config file `[profile x]` is read as `x`.
    package var config: [String: [String: String]]
    package var credentials: [String: [String: String]]
    /// The profile in use: `AWS_PROFILE`, else `default`.
    package var profile: String

    /// Reads the files the environment points at; missing files are empty.
    package init(environment: [String: String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        config = Self.parse(
            (try? String(contentsOfFile: Self.expand(configPath, home), encoding: .utf8)) ?? "", isConfig: true)
        credentials = Self.parse(
            (try? String(contentsOfFile: Self.expand(credentialsPath, home), encoding: .utf8)) ?? "", isConfig: false)
        profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }

    static func expand(_ path: String, _ home: String) -> String {
        path.hasPrefix("~/") ? home + path.dropFirst(1) : path
    }

    /// Parses INI text: `[section]`, `key = value`, `#`/`;` comments; nested (indented) lines are skipped.
    static func parse(_ text: String, isConfig: Bool) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var section: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let indented = raw.first == " " || raw.first == "\t"
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if isConfig, name.hasPrefix("profile ") {
                    name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                }
                section = name
                if out[name] == nil { out[name] = [:] }
                continue
            }
            guard let section, !indented, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[section, default: [:]][key] = value
        }
        return out
    }

    /// A setting of the current profile: the credentials file wins for keys, the config file otherwise.
    package func value(_ key: String) -> String? {
        credentials[profile]?[key] ?? config[profile]?[key]
    }

    /// The profile's region.
    package var region: String? { config[profile]?["region"] }

    /// Whether the selected profile exists in either file.
    package var profileExists: Bool { config[profile] != nil || credentials[profile] != nil }
}

/// Static keys or `credential_process` from the shared files.
package struct ProfileCredentials: CredentialProvider {
    let shared: SharedConfig
    let explicitProfile: Bool
    package init(shared: SharedConfig, explicitProfile: Bool) {
        self.shared = shared
        self.explicitProfile = explicitProfile
    }

    package var name: String { "profile \(shared.profile)" }

    package func credentials() async throws -> AWSCredentials? {
        if !shared.profileExists {
            if explicitProfile {
                throw CredentialError(
                    "profile '\(shared.profile)' (AWS_PROFILE) is in neither ~/.aws/config nor ~/.aws/credentials")
            }
            return nil
        }
        if let id = shared.value("aws_access_key_id"), let secret = shared.value("aws_secret_access_key") {
            return AWSCredentials(
                accessKeyID: id, secretAccessKey: secret, sessionToken: shared.value("aws_session_token"), source: name)
        }
        if let command = shared.value("credential_process") {
            return try await CredentialProcess(command: command, source: name).run()
        }
        return nil
    }
}

/// Runs a `credential_process` command and reads its JSON (Version 1).
struct CredentialProcess {
    let command: String
    let source: String

    struct Output: Decodable {
        var Version: Int
        var AccessKeyId: String
        var SecretAccessKey: String
        var SessionToken: String?
        var Expiration: String?
    }

    /// How long the command may take (the AWS CLI waits without limit; a deployment should not).
    static let timeout: Duration = .seconds(60)

    func run() async throws -> AWSCredentials {
        // The one process runner (own threads for its pipes, process group, SIGTERM then SIGKILL on
        // cancellation), with a timeout: nothing here blocks the cooperative pool.
        let command = command
        let environment = ProcessInfo.processInfo.environment
        let result = try await withThrowingTaskGroup(of: ChildProcess.Result?.self) { group in
            group.addTask {
                try await ChildProcess.run(
                    path: "/bin/sh", arguments: ["-c", command], environment: environment, stdin: Data(),
                    stdoutLimit: 1 << 20, stderrLimit: 64 << 10, grace: .seconds(2), onStderrLine: { _ in })
            }
            group.addTask {
                try await Task.sleep(for: Self.timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let result else {
            throw CredentialError(
                "credential_process of \(source) did not finish within \(DurationFormat.format(Self.timeout))")
        }
        switch result.termination {
        case .exited(0): break
        case .exited(let code): throw CredentialError("credential_process of \(source) exited with \(code)")
        case .signaled(let signal):
            throw CredentialError("credential_process of \(source) was killed by signal \(signal)")
        }
        let data = result.stdout
        guard let output = try? JSONDecoder().decode(Output.self, from: data), output.Version == 1 else {
            throw CredentialError("credential_process of \(source) printed no valid Version 1 JSON")
        }
        return AWSCredentials(
            accessKeyID: output.AccessKeyId, secretAccessKey: output.SecretAccessKey,
            sessionToken: output.SessionToken, expiration: output.Expiration.flatMap(parseISODate), source: source)
    }
}

func parseISODate(_ text: String) -> Date? {
    (try? Date(text, strategy: .iso8601))
        ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
}
