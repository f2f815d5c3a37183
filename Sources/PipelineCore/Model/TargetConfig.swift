/// Where a pipeline deploys: the `target:` section of a pipeline file.
public struct TargetConfig: Sendable, Hashable, Codable {
    /// Every key of the section as written.
    public var settings: [String: InputValue]

    /// Settings as written.
    public init(settings: [String: InputValue]) { self.settings = settings }

    /// The provider's name: `target.provider`, else the file format's default.
    public var provider: String { settings["provider"]?.scalarString ?? Self.defaultProvider }
    /// The provider a pipeline that names none deploys with (the file format's default, as documented).
    public static let defaultProvider = "aws"
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

    /// Reads the settings map.
    public init(from decoder: any Decoder) throws {
        settings = try [String: InputValue](from: decoder)
    }

    /// Writes the settings map.
    public func encode(to encoder: any Encoder) throws {
        try settings.encode(to: encoder)
    }
}
