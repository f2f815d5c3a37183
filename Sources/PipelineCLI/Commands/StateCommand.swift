import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline state`: moves a state between a folder and S3.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Work with the state itself (run records, index, cursors).",
        subcommands: [StateCopyCommand.self])
}

/// `pipeline state copy SRC DST`: copies every run (record, events, logs, artifacts, pipeline file),
/// the quarantine marks and watch's cursors from one state to another, either way between a folder
/// and `s3://BUCKET/PREFIX`. Locks are not copied: copy while no run is going.
struct StateCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy a state between a folder and s3://BUCKET/PREFIX (either way).",
        discussion: """
            Runs already in DST (same id) are left as they are and reported. Locks and leases are not \
            copied: copy while no run is going. Exit codes: 0 copied; 1 some runs could not be copied; \
            2 invalid input.
            """)

    @Argument(help: "The state to copy from: a folder or s3://BUCKET/PREFIX.")
    var source: String

    @Argument(help: "The state to copy to.")
    var destination: String

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard source != destination else { throw PipelineError(.invalidInput, "SRC and DST are the same state") }
        if !source.hasPrefix("s3://"), !FileManager.default.fileExists(atPath: source + "/index/runs.idx") {
            throw PipelineError(.invalidInput, "\(source) is not a state folder (it has no index/runs.idx)")
        }
        let from = try await StateOptions.open(flag: source, leaseTTL: nil, environment: environment)
        let to = try await StateOptions.open(flag: destination, leaseTTL: nil, environment: environment)
        guard let from = from as? any StateTransfer, let to = to as? any StateTransfer else {
            throw PipelineError(.invalidInput, "this store cannot be copied")
        }
        let runs = try await from.list(pipeline: nil, status: nil, limit: .max, includeDryRuns: true)
        var copied = 0
        var skipped: [String] = []
        var failed: [String] = []
        // Oldest first, so a folder's index keeps start order.
        for summary in runs.reversed() {
            do {
                if try await to.importRun(try await from.exportRun(summary.id)) {
                    copied += 1
                } else {
                    skipped.append(summary.id)
                }
            } catch {
                failed.append("\(summary.id): \(error)")
            }
        }
        var marks = 0
        for pipeline in try await from.pipelinesWithRuns() {
            for sha in await from.quarantinedCommits(pipeline: pipeline) {
                if let mark = await from.quarantined(pipeline: pipeline, sha: sha) {
                    try await to.quarantine(mark)
                    marks += 1
                }
            }
        }
        let cursors = try await from.allCursors()
        for (key, value) in cursors { try await to.importCursors(value, key: key) }
        Terminal.write(
            "copied \(copied) run(s), \(marks) quarantine mark(s), cursors of \(cursors.count) repositor\(cursors.count == 1 ? "y" : "ies") from \(from.location) to \(to.location)\n"
        )
        if !skipped.isEmpty {
            Terminal.write("already in \(to.location), left as they are: \(skipped.joined(separator: ", "))\n")
        }
        for line in failed { Terminal.note("not copied: \(line)") }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
