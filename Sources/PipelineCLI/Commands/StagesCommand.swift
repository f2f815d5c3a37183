import ArgumentParser
import Foundation
import PipelineCore

/// `pipeline stages`: every stage this binary knows, with its inputs.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List the known stages with a summary and their inputs.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let entries = StageCatalog.registry().all + StageCatalog.installedPlugins()
        if json {
            let list = entries.map { entry in
                StageJSON(
                    name: entry.descriptor.name, summary: entry.descriptor.summary,
                    inputs: entry.descriptor.inputs?.map {
                        .init(name: $0.name, type: $0.type.rawValue, required: $0.required, description: $0.description)
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
                        "    \(input.name) (\(input.type.rawValue)\(input.required ? ", required" : "")): \(input.description)"
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
        }
        var name: String
        var summary: String
        var inputs: [Input]?
        var outputs: [String]
    }
}
