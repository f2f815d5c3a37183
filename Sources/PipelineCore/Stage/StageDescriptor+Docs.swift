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

/// One problem with a step's `with:`: the key and what is wrong.
public struct InputProblem: Sendable, Hashable {
    /// The key under `with:`.
    public var key: String
    /// What is wrong, for people.
    public var message: String
    /// True when the key is required and absent (it has no place of its own in the file).
    public var isMissing: Bool
}

extension StageDescriptor {
    /// What is wrong with a step's `with:`: unknown keys (with a suggestion), values of the wrong type
    /// (for the keys whose `value` is known), missing required inputs. The loader and the test kit's
    /// harness both check inputs with it.
    public func inputProblems(keys: [String], value: (String) -> InputValue?) -> [InputProblem] {
        guard let inputs else { return [] }
        var problems: [InputProblem] = []
        let known = inputs.map(\.name)
        for key in keys.sorted() {
            guard let spec = inputs.first(where: { $0.name == key }) else {
                var message = "unknown input for stage '\(name)'"
                if let guess = Suggestion.closest(key, in: known) { message += " (did you mean '\(guess)'?)" }
                message += "; it takes: \(known.isEmpty ? "no inputs" : known.joined(separator: ", "))"
                problems.append(InputProblem(key: key, message: message, isMissing: false))
                continue
            }
            if let literal = value(key), let problem = spec.check(literal) {
                problems.append(InputProblem(key: key, message: problem, isMissing: false))
            }
        }
        for spec in inputs where spec.required && !keys.contains(spec.name) {
            problems.append(
                InputProblem(
                    key: spec.name, message: "is required by stage '\(name)': \(spec.description)", isMissing: true))
        }
        return problems
    }

    /// The same for evaluated values, each message starting with `with.KEY:`.
    public func inputProblems(_ values: [String: InputValue]) -> [String] {
        inputProblems(keys: Array(values.keys), value: { values[$0] }).map { "with.\($0.key): \($0.message)" }
    }
}
