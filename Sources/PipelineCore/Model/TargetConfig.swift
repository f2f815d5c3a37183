/// Where a pipeline deploys: the `target:` section of a pipeline file.
public struct TargetConfig: Sendable, Hashable, Codable {
    /// Every key of the section as written.
    public var settings: [String: InputValue]

    public init(settings: [String: InputValue]) { self.settings = settings }

    /// `aws` (the default) or `local`.
    public var provider: String { settings["provider"]?.scalarString ?? "aws" }
    /// The AWS region, if the pipeline names one.
    public var region: String? { settings["region"]?.scalarString }
    /// The ECS cluster.
    public var cluster: String? { settings["cluster"]?.scalarString }
    /// The ECS service (or local service).
    public var service: String? { settings["service"]?.scalarString }
    /// An endpoint URL that replaces AWS's for every service.
    public var endpointURL: String? { settings["endpoint_url"]?.scalarString }

    /// The value of one key.
    public func value(forKey key: String) -> InputValue? { settings[key] }

    /// The identity of what a run deploys, for locking: provider, region, cluster and service.
    public var lockKey: String {
        [provider, region ?? "-", cluster ?? "-", service ?? "-"].joined(separator: "/")
    }

    /// Keys allowed for each provider.
    public static let allowedKeys: [String: Set<String>] = [
        "aws": ["provider", "region", "cluster", "service", "endpoint_url", "profile"],
        "local": [
            "provider", "service", "listener_port", "health_check_path", "alarms", "desired_count", "cluster", "region",
        ],
    ]

    public init(from decoder: any Decoder) throws {
        settings = try [String: InputValue](from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try settings.encode(to: encoder)
    }
}
