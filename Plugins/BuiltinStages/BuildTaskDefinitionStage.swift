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
                let diff = TaskDefinitionDiff.lines(
                    old: TaskDefinitionDiff.comparable(running.document, like: document).prettyText(),
                    new: document.prettyText())
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

/// Comparing task definitions: the fields a template sets, and a line diff for people.
enum TaskDefinitionDiff {
    /// `registered` reduced to the fields `rendered` has (ECS adds defaults and metadata).
    static func comparable(_ registered: JSONValue, like rendered: JSONValue) -> JSONValue {
        switch (registered, rendered) {
        case (.object(let r), .object(let t)):
            var out: [String: JSONValue] = [:]
            for (key, value) in t { out[key] = r[key].map { comparable($0, like: value) } ?? .null }
            return .object(out)
        case (.array(let r), .array(let t)) where r.count == t.count:
            return .array(zip(r, t).map { comparable($0, like: $1) })
        case (.int(let i), .string(let s)) where String(i) == s: return rendered
        case (.string(let s), .int(let i)) where String(i) == s: return rendered
        default: return registered
        }
    }

    /// A minimal line diff (`- old`, `+ new`) by longest common subsequence.
    static func lines(old: String, new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        guard a != b else { return "" }
        var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                i += 1
                j += 1
            } else if j < b.count, i == a.count || lcs[i][j + 1] >= lcs[i + 1][j] {
                out.append("+ \(b[j])")
                j += 1
            } else {
                out.append("- \(a[i])")
                i += 1
            }
        }
        return out.joined(separator: "\n")
    }
}
