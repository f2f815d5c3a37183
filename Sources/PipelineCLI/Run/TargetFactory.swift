import Foundation
import PipelineCore

/// Makes a run's deployment target through the provider its pipeline names.
enum TargetFactory {
    /// The services a run's stages get: the target (made now when a stage declares it uses one, else on
    /// first use), read-only for a dry run, and the provider's credential environment.
    static func services(
        for pipeline: Pipeline, registry: StageRegistry, environment: [String: String], source: any SourceTree,
        stateRoot: String, dryRun: Bool, note: @escaping @Sendable (String) -> Void
    ) async throws -> ServiceBag {
        var services = ServiceBag()
        guard let type = Catalog.providers.provider(for: pipeline.target) else { return services }
        let provider = type.init()
        let request = TargetRequest(
            pipeline: pipeline, source: source, environment: environment, stateDirectory: stateRoot,
            readOnly: dryRun, note: note)
        let declared = (pipeline.stages + pipeline.onFailure).contains {
            registry.resolve($0.uses)?.descriptor.usesTarget == true
        }
        let target: any DeploymentTarget
        if declared {
            target = try await provider.makeTarget(request)
        } else {
            target = LazyDeploymentTarget(description: "provider \(type.descriptor.name)") {
                try await provider.makeTarget(request)
            }
        }
        services.set(DeploymentTargetBox(dryRun ? ReadOnlyTarget(target) : target))
        services.set(CredentialEnvironment(provider.credentialEnvironment(pipeline.target, environment: environment)))
        return services
    }
}
