import Foundation

/// `~/.aws/config` and `~/.aws/credentials` (or `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`).
public struct SharedConfig: Sendable {
    /// Sections by profile name; in the config file `[profile x]` is read as `x`.
    public var config: [String: [String: String]]
    public var credentials: [String: [String: String]]
    /// The profile in use: `AWS_PROFILE`, else `default`.
    public var profile: String

    /// Reads the files the environment points at; missing files are empty.
    public init(environment: [String: String]) {
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
    public func value(_ key: String) -> String? {
        credentials[profile]?[key] ?? config[profile]?[key]
    }

    /// The profile's region.
    public var region: String? { config[profile]?["region"] }

    /// Whether the selected profile exists in either file.
    public var profileExists: Bool { config[profile] != nil || credentials[profile] != nil }
}

/// Static keys or `credential_process` from the shared files.
public struct ProfileCredentials: CredentialProvider {
    let shared: SharedConfig
    let explicitProfile: Bool
    public init(shared: SharedConfig, explicitProfile: Bool) {
        self.shared = shared
        self.explicitProfile = explicitProfile
    }

    public var name: String { "profile \(shared.profile)" }

    public func credentials() async throws -> AWSCredentials? {
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

    func run() async throws -> AWSCredentials {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { throw CredentialError("credential_process could not start: \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CredentialError("credential_process of \(source) exited with \(process.terminationStatus)")
        }
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
