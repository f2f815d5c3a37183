import Foundation
import PipelineCore

/// `register-task-definition`: registers the rendered task definition, or reuses an identical latest revision.
public struct RegisterTaskDefinitionStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "register-task-definition",
        summary:
            "Registers the rendered task definition (tagged with pipeline, run, commit); reuses an identical latest revision.",
        inputs: [
            StageInputSpec(
                "artifact", .string,
                "the rendered definition among this run's artifacts (default: task-definition.json)")
        ],
        outputs: ["task_definition_arn", "revision", "reused"],
        safety: .changesTarget)

    public init() {}

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let name = try context.inputs.string("artifact") ?? "task-definition.json"
        guard let data = try context.artifacts.load(name) else {
            throw StageFailure("no artifact \(name) in this run: run build-task-definition first")
        }
        let document = try JSONValue.parse(data)
        guard let family = document["family"]?.stringValue else { throw StageFailure("\(name) has no family") }
        let target = try context.deploymentTarget()
        if let latest = try await target.latestTaskDefinition(family: family),
            TaskDefinitionDiff.comparable(latest.document, like: document).canonicalText() == document.canonicalText()
        {
            context.logger.info("\(family): latest revision \(latest.revision) is identical; reusing \(latest.arn)")
            return [
                "task_definition_arn": .string(latest.arn), "revision": .number(Double(latest.revision)),
                "reused": true,
            ]
        }
        if context.isDryRun {
            context.logger.info("would register a new revision of \(family)")
            return ["task_definition_arn": .string("\(family):(new)"), "revision": 0, "reused": false]
        }
        let tags = [
            "pipeline:name": context.run.pipeline, "pipeline:run": context.run.id,
            "pipeline:commit": context.commit.sha,
        ]
        let registered = try await target.registerTaskDefinition(document, tags: tags)
        context.logger.info("registered \(registered.arn)")
        return [
            "task_definition_arn": .string(registered.arn), "revision": .number(Double(registered.revision)),
            "reused": false,
        ]
    }
}
