import AsyncHTTPClient
import Foundation

/// The SDKs' default chain: environment, shared files (keys or `credential_process`), ECS container,
/// EC2 instance metadata. Credentials are cached and refreshed five minutes before they expire.
package actor CredentialChain: CredentialProvider {
    private let providers: [any CredentialProvider]
    private var cached: AWSCredentials?
    private var refreshing: Task<AWSCredentials, any Error>?
    /// Refresh this long before expiry.
    package let refreshMargin: TimeInterval

    package init(providers: [any CredentialProvider], refreshMargin: TimeInterval = 300) {
        self.providers = providers
        self.refreshMargin = refreshMargin
    }

    /// The default chain for an environment.
    package static func standard(environment: [String: String], http: HTTPClient) -> CredentialChain {
        let shared = SharedConfig(environment: environment)
        let explicitProfile = environment["AWS_PROFILE"].map { !$0.isEmpty } ?? false
        return CredentialChain(providers: [
            EnvironmentCredentials(environment: environment),
            ProfileCredentials(shared: shared, explicitProfile: explicitProfile),
            ContainerCredentials(environment: environment, http: http),
            InstanceMetadataCredentials(environment: environment, http: http),
        ])
    }

    package nonisolated var name: String { "default chain" }

    package func credentials() async throws -> AWSCredentials? {
        if let cached, !cached.expires(within: refreshMargin) { return cached }
        if let refreshing { return try await refreshing.value }
        let providers = self.providers
        let task = Task<AWSCredentials, any Error> {
            for provider in providers {
                if let found = try await provider.credentials() { return found }
            }
            throw CredentialError(
                "no AWS credentials found (looked in: \(providers.map(\.name).joined(separator: ", "))); "
                    + "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is available")
        }
        refreshing = task
        defer { refreshing = nil }
        do {
            let found = try await task.value
            cached = found
            return found
        } catch {
            // Keep using unexpired credentials when a refresh fails.
            if let cached, !cached.expires(within: 0) { return cached }
            throw error
        }
    }
}
