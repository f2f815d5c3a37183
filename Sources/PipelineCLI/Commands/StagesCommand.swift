import ArgumentParser
import Foundation
import PipelineCore

/// `pipeline stages`: every stage this binary knows, with its inputs.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List the known stages with a summary and their inputs.")

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print each stage's inputs as the Markdown table docs/stages.md holds.")
    var markdown = false

    @Flag(help: "Print the JSON Schema of each stage's `with:`, by stage name.")
    var jsonSchema = false

    func run() throws {
        let entries = Catalog.registry().all + Catalog.installedPlugins()
        if markdown {
            for entry in entries {
                print(
                    "<!-- inputs: \(entry.descriptor.name) -->\n\(entry.descriptor.markdownInputsTable)<!-- end -->\n")
            }
            return
        }
        if jsonSchema {
            let schemas = JSONValue.object(
                Dictionary(uniqueKeysWithValues: entries.map { ($0.descriptor.name, $0.descriptor.withJSONSchema) }))
            print(schemas.prettyText())
            return
        }
        if json {
            let list = entries.map { entry in
                StageJSON(
                    name: entry.descriptor.name, summary: entry.descriptor.summary,
                    inputs: entry.descriptor.inputs?.map {
                        .init(
                            name: $0.name, type: $0.type.rawValue, required: $0.required, description: $0.description,
                            default: $0.defaultText, checks: $0.constraints)
                    }, outputs: entry.descriptor.outputs)
            }
            print(try Terminal.json(list))
            return
        }
        for entry in entries {
            let d = entry.descriptor
            print("\(d.name) — \(d.summary)")
            if let inputs = d.inputs {
                for input in inputs {
                    print(
                        "    \(input.name) (\(input.type.rawValue)\(input.required ? ", required" : "")): \(input.fullDescription)"
                    )
                }
            } else {
                print("    (accepts any inputs)")
            }
            if !d.outputs.isEmpty { print("    outputs: \(d.outputs.joined(separator: ", "))") }
        }
    }

    struct StageJSON: Encodable {
        struct Input: Encodable {
            var name: String
            var type: String
            var required: Bool
            var description: String
            var `default`: String?
            var checks: [String]
        }
        var name: String
        var summary: String
        var inputs: [Input]?
        var outputs: [String]
    }
}
