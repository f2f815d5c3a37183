import PipelineKit
import PipelineTestKit

/// `provider: sandbox`: rehearses a pipeline against an in-memory ECS (the test kit's fake target),
/// seeded with the pipeline's service running `seed_revision`. Every built-in stage works on it.
struct SandboxProvider: DeploymentProvider {
    static let descriptor = ProviderDescriptor(
        name: "sandbox", summary: "Rehearses a pipeline against an in-memory ECS.", settings: Settings.self)

    /// What `provider: sandbox` takes under `target:`: declared once, checked at load time with the line.
    struct Settings: InputDeclarations {
        let service = Input<String>(required: "service", help: "the service to seed")
        let seedRevision = Input<String>(required: "seed_revision", help: "what the service runs at the start")
        let desiredCount = Input<Int>("desired_count", default: 2, help: "its tasks", check: .atLeast(1))
    }

    /// A check beyond the types, located at its line.
    static func check(_ target: TargetConfig, locate: (String) -> SourceLocation?) -> [Diagnostic] {
        guard let seed = target.value(forKey: "seed_revision")?.scalarString, !seed.contains(":") else { return [] }
        let path = "target.seed_revision"
        return [Diagnostic(location: locate(path), path: path, message: "expected family:revision, e.g. web:1")]
    }

    func makeTarget(_ request: TargetRequest) async throws -> any DeploymentTarget {
        let settings = try StageInputs(request.pipeline.target.settings).declared(Settings.self)
        let target = FakeDeploymentTarget()
        target.addService(settings.service, taskDefinition: settings.seedRevision, desiredCount: settings.desiredCount)
        request.note("sandbox: \(settings.service) runs \(settings.seedRevision) (\(settings.desiredCount) tasks)")
        return target
    }
}
