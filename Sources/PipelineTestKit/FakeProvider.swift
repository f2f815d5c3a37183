import PipelineCore

/// `provider: fake`: a deployment provider whose target is a `FakeDeploymentTarget`, for tests of
/// pipelines and of custom providers' registration.
public struct FakeProvider: DeploymentProvider {
    /// The target every `FakeProvider` hands out (one per process, so a test can look at it).
    public static let target = FakeDeploymentTarget()

    /// `fake`: one required `service` setting and an optional `desired_count`.
    public static let descriptor = ProviderDescriptor(
        name: "fake", summary: "An in-memory target for tests.", settings: Settings.self)

    /// What `provider: fake` takes under `target:`.
    public struct Settings: InputDeclarations {
        let service = Input<String>(required: "service", help: "the service")
        let desiredCount = Input<Int>("desired_count", default: 1, help: "tasks of the service", check: .atLeast(0))
        /// The declarations.
        public init() {}
    }

    /// The provider.
    public init() {}

    /// The shared fake target.
    public func makeTarget(_ request: TargetRequest) async throws -> any DeploymentTarget { Self.target }
}
