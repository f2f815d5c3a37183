import PipelineCore

/// `provider: aws` (the default): ECS, ELBv2, CloudWatch, Route 53 and Cloud Map through the project's
/// AWS client.
package struct AWSProvider: DeploymentProvider {
    /// The `aws` provider's name, summary and settings.
    package static let descriptor = ProviderDescriptor(
        name: "aws", summary: "Deploys to Amazon ECS (or an AWS-compatible endpoint).", settings: Settings.self)

    /// What `provider: aws` takes under `target:`.
    package struct Settings: InputDeclarations {
        let cluster = Input<String>(required: "cluster", help: "the ECS cluster")
        let service = Input<String>(required: "service", help: "the ECS service")
        let region = Input<String?>(
            "region", help: "the AWS region", defaultText: "AWS_REGION, AWS_DEFAULT_REGION or the profile's")
        let endpointURL = Input<String?>(
            "endpoint_url", help: "one endpoint for every AWS service (an AWS-compatible server)")
        let profile = Input<String?>("profile", help: "the shared-config profile to take credentials from")
        /// The declarations.
        package init() {}
    }

    /// The provider.
    package init() {}

    /// An AWS target for the pipeline's cluster; checks that credentials can be found first.
    package func makeTarget(_ request: TargetRequest) async throws -> any DeploymentTarget {
        let target = try AWSDeploymentTarget.make(for: request.pipeline.target, environment: request.environment)
        try await target.client.checkCredentials()
        return target
    }

    /// The engine's `AWS_*` variables.
    package func credentialEnvironment(_ target: TargetConfig, environment: [String: String]) -> [String: String] {
        environment.filter { $0.key.hasPrefix("AWS_") }
    }
}
