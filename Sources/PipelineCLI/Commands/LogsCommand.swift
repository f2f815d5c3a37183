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
        let store = try state.openStore()
        var record = try store.load(runID: runID)
        if let stage, !record.stages.contains(where: { $0.id == stage }) {
            throw PipelineError(
                .notFound,
                "run \(runID) has no stage '\(stage)' (it has: \(record.stages.map(\.id).joined(separator: ", ")))")
        }
        var offsets: [String: UInt64] = [:]
        let stages = stage.map { [$0] } ?? record.stages.map(\.id)
        while true {
            for id in stages {
                let path = try store.logPath(runID: runID, stage: id)
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                defer { try? handle.close() }
                let start = offsets[id] ?? 0
                try handle.seek(toOffset: start)
                let data = handle.readDataToEndOfFile()
                guard let end = data.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let complete = data[data.startIndex...end]
                offsets[id] = start + UInt64(complete.count)
                let prefix = stages.count > 1 ? "[\(id)] " : ""
                for line in complete.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
                    Terminal.write(prefix + String(decoding: line, as: UTF8.self) + "\n")
                }
            }
            guard follow, !record.status.isFinal else { return }
            try await Task.sleep(for: .milliseconds(250))
            record = try store.load(runID: runID)
        }
    }
}
