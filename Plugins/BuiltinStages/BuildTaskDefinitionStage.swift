import Foundation
import PipelineCore

/// `build-task-definition`: renders the commit's task definition template.
package struct BuildTaskDefinitionStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "build-task-definition",
        summary: "Renders an ECS task definition template from the commit (JSON or YAML), sets the image, checks it.",
        inputs: Inputs.self,
        outputs: [Outputs.family], usesTarget: true)

    /// What `build-task-definition` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let template = Input<String>(required: "template", help: "path of the template in the repository")
        let image = Input<String?>("image", help: "image to set on the container, e.g. repo/web:${{ commit.sha }}")
        let container = Input<String?>(
            "container", help: "container to set the image on", defaultText: "the first essential one")
        let environment = Input<[String: String]>(
            "environment", default: [:], help: "environment variables to merge into that container")
        /// The declarations.
        package init() {}
    }

    /// The outputs `build-task-definition` returns.
    package enum Outputs {
        /// The task definition's family.
        package static let family: OutputKey = "family"
    }

    /// The artifact the rendered task definition is saved as.
    package static let artifactName = "task-definition.json"

    package init() {}

    static func render(_ raw: StageInputs, source: any SourceTree, scope: ExpressionScope) throws
        -> TaskDefinitionTemplate.Rendered
    {
        let inputs = try raw.declared(Inputs.self)
        let path = inputs.template
        let rendered = try TaskDefinitionTemplate.render(
            path: path, source: source, scope: scope, image: inputs.image, container: inputs.container,
            environment: inputs.environment)
        let document = rendered.document
        let leaks = SecretFields.find(in: document, redactor: Redactor(environment: scope.environment))
        if !leaks.isEmpty {
            throw PipelineError(
                .invalidInput,
                "task definition template \(path): \(leaks.count) field\(leaks.count == 1 ? "" : "s") would hold a secret",
                diagnostics: leaks.map {
                    Diagnostic(
                        location: SourceLocation(file: path, line: 1, column: 1), path: $0,
                        message:
                            "holds the value of a secret environment variable: it would be registered in ECS and written to disk. Pass secrets with the container's `secrets` (valueFrom an SSM parameter or a Secrets Manager ARN) instead"
                    )
                })
        }
        return rendered
    }

    package static func preflight(_ check: PreflightContext) throws {
        guard check.inputs["template"] != nil else { return }
        _ = try render(check.inputs, source: check.source, scope: check.scope)
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let rendered = try Self.render(context.inputs, source: context.source, scope: context.expressionScope)
        let document = rendered.document
        if !rendered.dropped.isEmpty {
            let template = try context.inputs(Inputs.self).template
            context.logger.warning(
                "\(template) looks like `aws ecs describe-task-definition` output: dropped \(rendered.dropped.joined(separator: ", ")) (read-only; RegisterTaskDefinition does not take them)"
            )
        }
        let family = document["family"]?.stringValue ?? ""
        try context.artifacts.save(Self.artifactName, data: Data(document.prettyText().utf8))
        context.logger.info("rendered task definition \(family) → artifacts/\(Self.artifactName)")
        if context.isDryRun, let target = try? context.deploymentTarget(), let service = context.target.service {
            let current = try await target.service(service)
            if let arn = current?.taskDefinition, let running = try await target.taskDefinition(arn) {
                let template = try context.inputs(Inputs.self).template
                let diff = TaskDefinitionDiff.unified(
                    old: TaskDefinitionDiff.comparable(running.document, like: document), new: document,
                    oldLabel: "\(arn) (running on \(service))", newLabel: "\(template) at \(context.commit.shortSHA)")
                context.logger.info(
                    "diff against \(arn) (running on \(service)):\n\(diff.isEmpty ? "  (no changes)" : diff)")
            } else {
                context.logger.info("service \(service) runs no task definition yet; everything is new")
            }
        }
        return StageOutputs([Outputs.family: .string(family)])
    }
}

/// Task definition fields that hold a secret value. `secrets[].valueFrom` and
/// `repositoryCredentials.credentialsParameter` name where a secret lives (ARNs), so they are allowed.
enum SecretFields {
    static func find(in document: JSONValue, redactor: Redactor, path: String = "") -> [String] {
        switch document {
        case .string(let s): return redactor.containsSecret(s) ? [path] : []
        case .array(let items):
            return items.enumerated().flatMap { find(in: $1, redactor: redactor, path: "\(path)[\($0)]") }
        case .object(let fields):
            return fields.keys.sorted().flatMap { key -> [String] in
                if key == "valueFrom" || key == "credentialsParameter" { return [] }
                return find(in: fields[key]!, redactor: redactor, path: path.isEmpty ? key : "\(path).\(key)")
            }
        default: return []
        }
    }
}
