import Foundation

/// The inputs table of docs/stages.md and the JSON Schema of a step's `with:`, generated from the
/// stage's declarations (a test fails when docs/stages.md is stale).
extension StageDescriptor {
    /// A Markdown table: input, type, default (or "required"), description and checks.
    public var markdownInputsTable: String {
        guard let inputs, !inputs.isEmpty else { return "Takes no inputs.\n" }
        var lines = ["| input | type | default | |", "|---|---|---|---|"]
        for input in inputs {
            let fallback = input.required ? "required" : (input.defaultText ?? "—")
            var text = input.description
            if !input.constraints.isEmpty { text += "; \(input.constraints.joined(separator: ", "))" }
            lines.append(
                "| `\(input.name)` | \(input.type.rawValue) | \(escape(fallback)) | \(escape(text)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON Schema (2020-12) of a step's `with:` for this stage; undeclared inputs are refused.
    public var withJSONSchema: JSONValue {
        var schema: [String: JSONValue] = [
            "$schema": .string("https://json-schema.org/draft/2020-12/schema"),
            "$id": .string("pipeline-stage-\(name)-with"),
            "title": .string("with: of \(name)"),
            "description": .string(summary),
            "type": .string("object"),
        ]
        guard let inputs else { return .object(schema) }
        var properties: [String: JSONValue] = [:]
        for input in inputs {
            var property = input.type.jsonSchema
            property["description"] = .string(input.fullDescription)
            properties[input.name] = .object(property)
        }
        schema["properties"] = .object(properties)
        schema["required"] = .array(inputs.filter(\.required).map { .string($0.name) })
        schema["additionalProperties"] = .bool(false)
        return .object(schema)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

extension StageDescriptor {
    /// What is wrong with a step's `with:` values as the loader sees them: unknown keys, missing required
    /// inputs, values of the wrong type; each message starts with `with.KEY:`.
    public func inputProblems(_ values: [String: InputValue]) -> [String] {
        guard let inputs else { return [] }
        var problems: [String] = []
        for key in values.keys.sorted() {
            guard let spec = inputs.first(where: { $0.name == key }) else {
                let known = inputs.map(\.name).joined(separator: ", ")
                problems.append("with.\(key): unknown input for stage '\(name)'; it takes: \(known)")
                continue
            }
            if let problem = spec.check(values[key]!) { problems.append("with.\(key): \(problem)") }
        }
        for spec in inputs where spec.required && values[spec.name] == nil {
            problems.append("with.\(spec.name): is required by stage '\(name)': \(spec.description)")
        }
        return problems
    }
}
