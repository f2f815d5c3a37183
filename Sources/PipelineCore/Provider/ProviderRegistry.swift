/// Maps `target.provider` names to providers.
public struct ProviderRegistry: Sendable {
    private var providers: [String: any DeploymentProvider.Type] = [:]

    /// An empty registry.
    public init() {}

    /// A registry holding the given providers.
    public init(_ types: [any DeploymentProvider.Type]) {
        for type in types { register(type) }
    }

    /// Registers a provider under its descriptor's name, replacing any of that name.
    public mutating func register(_ type: any DeploymentProvider.Type) {
        providers[type.descriptor.name] = type
    }

    /// The provider for a name, if known.
    public func resolve(_ name: String) -> (any DeploymentProvider.Type)? { providers[name] }

    /// The provider a pipeline names (the file format's default when it names none).
    public func provider(for target: TargetConfig) -> (any DeploymentProvider.Type)? { resolve(target.provider) }

    /// The registered names, sorted.
    public var names: [String] { providers.keys.sorted() }
}

/// The variables an executable stage gets with `pass_aws_credentials: true`, from the run's provider.
public struct CredentialEnvironment: Sendable {
    /// Name → value.
    public var variables: [String: String]
    /// Wraps the variables.
    public init(_ variables: [String: String]) { self.variables = variables }
}
