import BuiltinStages
import Foundation
import PipelineCore
import Testing

/// docs/stages.md's input tables are generated from the declarations (`scripts/gen-docs`).
@Suite struct DocsTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/stages.md")

    @Test(arguments: BuiltinStages.all.map { $0.descriptor.name })
    func inputTablesAreCurrent(name: String) throws {
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        let descriptor = try #require(BuiltinStages.all.first { $0.descriptor.name == name }?.descriptor)
        let block = "<!-- inputs: \(name) -->\n\(descriptor.markdownInputsTable)<!-- end -->"
        #expect(text.contains(block), "docs/stages.md is stale for \(name): run scripts/gen-docs")
    }

    @Test func everyInputHasHelpAndTheSchemaRefusesUnknownKeys() {
        for stage in BuiltinStages.all {
            let descriptor = stage.descriptor
            for input in descriptor.inputs ?? [] { #expect(!input.description.isEmpty, "\(input.name)") }
            #expect(descriptor.withJSONSchema["additionalProperties"] == .bool(false))
            let properties = descriptor.withJSONSchema["properties"]
            for input in descriptor.inputs ?? [] { #expect(properties?[input.name] != nil) }
        }
    }
}
