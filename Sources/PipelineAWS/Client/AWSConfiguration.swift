import Foundation

/// One AWS service as the client calls it.
package struct AWSService: Sendable, Hashable {
    /// Name for messages (`ECS`, `CloudWatch`, ...).
    package var name: String
    /// The SigV4 signing name (`ecs`, `monitoring`, `elasticloadbalancing`, `route53`, `servicediscovery`).
    package var signingName: String
    /// The endpoint prefix (`ecs` → `ecs.us-east-1.amazonaws.com`).
    package var endpointPrefix: String
    /// The suffix of the per-service endpoint variable: `AWS_ENDPOINT_URL_<suffix>`.
    package var environmentSuffix: String
    /// A global service signs in us-east-1 and has one endpoint (Route 53).
    package var globalEndpoint: String?
    /// S3's signing rules: the path is signed as sent (no normalisation, no second encoding) and the
    /// payload hash travels in `x-amz-content-sha256`.
    package var s3Signing = false

    package static let ecs = AWSService(
        name: "ECS", signingName: "ecs", endpointPrefix: "ecs", environmentSuffix: "ECS")
    package static let cloudWatch = AWSService(
        name: "CloudWatch", signingName: "monitoring", endpointPrefix: "monitoring", environmentSuffix: "CLOUDWATCH")
    package static let elbv2 = AWSService(
        name: "ELBv2", signingName: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing",
        environmentSuffix: "ELASTIC_LOAD_BALANCING_V2")
    package static let route53 = AWSService(
        name: "Route53", signingName: "route53", endpointPrefix: "route53", environmentSuffix: "ROUTE_53",
        globalEndpoint: "https://route53.amazonaws.com")
    package static let s3 = AWSService(
        name: "S3", signingName: "s3", endpointPrefix: "s3", environmentSuffix: "S3", s3Signing: true)
    package static let serviceDiscovery = AWSService(
        name: "ServiceDiscovery", signingName: "servicediscovery", endpointPrefix: "servicediscovery",
        environmentSuffix: "SERVICEDISCOVERY")
}

/// Region and endpoints, resolved as the SDKs do.
package struct AWSConfiguration: Sendable {
    /// The region requests are signed for.
    package var region: String
    /// `target.endpoint_url` of a pipeline: replaces every service's endpoint.
    package var endpointOverride: String?
    /// The environment (for `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`).
    package var environment: [String: String]

    package init(region: String, endpointOverride: String? = nil, environment: [String: String]) {
        self.region = region
        self.endpointOverride = endpointOverride
        self.environment = environment
    }

    /// Region from the pipeline, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile; nil when none is set.
    package static func resolveRegion(pipelineRegion: String?, environment: [String: String]) -> String? {
        for candidate in [pipelineRegion, environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]] {
            if let candidate, !candidate.isEmpty { return candidate }
        }
        return SharedConfig(environment: environment).region
    }

    /// The base URL for a service: the pipeline's override, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`,
    /// then the real AWS endpoint.
    package func endpoint(for service: AWSService) -> String {
        let candidates = [
            endpointOverride, environment["AWS_ENDPOINT_URL_\(service.environmentSuffix)"],
            environment["AWS_ENDPOINT_URL"],
        ]
        for candidate in candidates {
            if var url = candidate, !url.isEmpty {
                while url.hasSuffix("/") { url.removeLast() }
                return url
            }
        }
        if let global = service.globalEndpoint { return global }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return "https://\(service.endpointPrefix).\(region).\(suffix)"
    }

    /// The region a service's requests are signed for (global services sign in us-east-1).
    package func signingRegion(for service: AWSService) -> String {
        service.globalEndpoint != nil ? (region.hasPrefix("cn-") ? "cn-northwest-1" : "us-east-1") : region
    }
}
