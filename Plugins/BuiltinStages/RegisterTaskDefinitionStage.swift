import Foundation
import PipelineCore

/// `register-task-definition`: registers the rendered task definition, or reuses an identical latest revision.
package struct RegisterTaskDefinitionStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "register-task-definition",
        summary:
            "Registers the rendered task definition (tagged with pipeline, run, commit); reuses an identical latest revision.",
        inputs: Inputs.self,
        outputs: [Outputs.taskDefinitionARN, Outputs.revision, Outputs.reused],
        safety: .changesTarget)

    /// What `register-task-definition` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let artifact = Input<String>(
            "artifact", default: BuildTaskDefinitionStage.artifactName,
            help: "the rendered definition among this run's artifacts")
        /// The declarations.
        package init() {}
    }

    /// The outputs `register-task-definition` returns.
    package enum Outputs {
        /// The registered (or reused) revision's ARN; canary-deploy, promote and rollback read it.
        package static let taskDefinitionARN: OutputKey = "task_definition_arn"
        /// Its revision number.
        package static let revision: OutputKey = "revision"
        /// True when an identical latest revision was reused.
        package static let reused: OutputKey = "reused"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let name = try context.inputs(Inputs.self).artifact
        guard let data = try context.artifacts.load(name) else {
            throw StageFailure("no artifact \(name) in this run: run build-task-definition first")
        }
        let document = try JSONValue.parse(data)
        guard let family = document["family"]?.stringValue else { throw StageFailure("\(name) has no family") }
        let target = try context.deploymentTarget()
        // Tags are the resource's, not the revision's (DescribeTaskDefinition returns them apart).
        var compared = document
        if case .object(var fields) = compared {
            fields["tags"] = nil
            compared = .object(fields)
        }
        if let latest = try await context.tolerant(family, { try await target.latestTaskDefinition(family: family) }),
            TaskDefinitionDiff.comparable(latest.document, like: compared).canonicalText() == compared.canonicalText()
        {
            context.logger.info("\(family): latest revision \(latest.revision) is identical; reusing \(latest.arn)")
            return StageOutputs([
                Outputs.taskDefinitionARN: .string(latest.arn), Outputs.revision: .number(Double(latest.revision)),
                Outputs.reused: true,
            ])
        }
        if context.isDryRun {
            context.logger.info("would register a new revision of \(family)")
            return StageOutputs([
                Outputs.taskDefinitionARN: .string("\(family):(new)"), Outputs.revision: 0, Outputs.reused: false,
            ])
        }
        let tags = [
            "pipeline:name": context.run.pipeline, "pipeline:run": context.run.id,
            "pipeline:commit": context.commit.sha,
        ]
        let registered = try await target.registerTaskDefinition(document, tags: tags)
        context.logger.info("registered \(registered.arn)")
        return StageOutputs([
            Outputs.taskDefinitionARN: .string(registered.arn), Outputs.revision: .number(Double(registered.revision)),
            Outputs.reused: false,
        ])
    }
}
