import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline logs`: the stage logs of a run.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the logs of a run's stages.")

    @Argument(help: "The run id, e.g. web-12.")
    var runID: String

    @Option(help: "Only this stage's log.")
    var stage: String?

    @Flag(help: "Keep printing new lines until the run ends.")
    var follow = false

    @OptionGroup var state: StateOptions

    func run() async throws {
        let store = try await state.openStore()
        var record = try await store.load(runID: runID)
        if let stage, !record.stages.contains(where: { $0.id == stage }) {
            throw PipelineError(
                .notFound,
                "run \(runID) has no stage '\(stage)' (it has: \(record.stages.map(\.id).joined(separator: ", ")))")
        }
        var offsets: [String: Int] = [:]
        let stages = stage.map { [$0] } ?? record.stages.map(\.id)
        let poll: Duration = store is RunStore ? .milliseconds(250) : .seconds(2)
        while true {
            for id in stages {
                guard let whole = try await store.logContents(runID: runID, stage: id) else { continue }
                let start = offsets[id] ?? 0
                guard whole.count > start else { continue }
                let data = whole.dropFirst(start)
                guard let end = data.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let complete = data[data.startIndex...end]
                offsets[id] = start + complete.count
                let prefix = stages.count > 1 ? "[\(id)] " : ""
                for line in complete.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
                    Terminal.write(prefix + String(decoding: line, as: UTF8.self) + "\n")
                }
            }
            guard follow, !record.status.isFinal else { return }
            try await Task.sleep(for: poll)
            record = try await store.load(runID: runID)
        }
    }
}
