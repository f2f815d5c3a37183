import BuiltinStages
import Foundation
import PipelineCore
import PipelineTestKit
import Testing

/// Fast waits for the fake target: looks every 5 ms.
let fast: [String: InputValue] = ["poll_interval": "5ms"]

/// A harness on a fake target with service `web` running `web:1` (3 tasks).
func harness(
    _ fake: FakeDeploymentTarget, outputs: [String: StageOutputs] = [:], history: any RunHistory = EmptyRunHistory(),
    source: any SourceTree = InMemorySourceTree()
) -> StageHarness {
    StageHarness(
        source: source, target: TargetConfig(settings: ["service": "web", "cluster": "c"]), outputs: outputs,
        history: history, deploymentTarget: fake)
}

func webTarget() -> FakeDeploymentTarget {
    let fake = FakeDeploymentTarget()
    fake.addService("web", taskDefinition: "web:1", desiredCount: 3)
    return fake
}

func merged(_ a: [String: InputValue], _ b: [String: InputValue]) -> [String: InputValue] {
    a.merging(b) { _, new in new }
}

/// A history whose last succeeded run returned these outputs.
struct FixedHistory: RunHistory {
    var outputs: [String: StageOutputs]?
    func lastSucceededOutputs(pipeline: String) async throws -> [String: StageOutputs]? { outputs }
}
