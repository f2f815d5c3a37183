import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline show`: one run's stages, durations, outputs and errors.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run in detail.")

    @Argument(help: "The run id, e.g. web-12.")
    var runID: String

    @OptionGroup var state: StateOptions

    @Flag(help: "Print run.json.")
    var json = false

    func run() async throws {
        let record = try await state.openStore().load(runID: runID)
        print(json ? try Terminal.json(record) : Summary.details(record))
    }
}
