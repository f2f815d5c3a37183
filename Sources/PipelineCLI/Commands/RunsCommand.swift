import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline runs`: recorded runs, newest first.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recorded runs, newest first.")

    @Option(help: "Only runs of this pipeline.")
    var pipeline: String?

    @Option(help: "Only runs with this status (\(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))).")
    var status: String?

    @Option(help: "At most this many runs.")
    var limit: Int = 20

    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        if let status, RunStatus(rawValue: status) == nil {
            throw ValidationError(
                "unknown status '\(status)'; expected one of: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    func run() async throws {
        let store = try await state.openStore()
        var runs = try await store.list(
            pipeline: pipeline, status: status.flatMap(RunStatus.init(rawValue:)), limit: limit, includeDryRuns: true)
        var quarantined: [String: Set<String>] = [:]
        for name in Set(runs.map(\.pipeline)) { quarantined[name] = await store.quarantinedCommits(pipeline: name) }
        for i in runs.indices where quarantined[runs[i].pipeline]?.contains(runs[i].sha) == true {
            runs[i].quarantined = true
        }
        if json {
            print(try Terminal.json(runs))
            return
        }
        guard !runs.isEmpty else {
            let recorded = try await store.pipelinesWithRuns()
            if let pipeline, !recorded.isEmpty, !recorded.contains(pipeline) {
                print(
                    "no runs of pipeline '\(pipeline)' in \(store.location); it has runs of: \(recorded.joined(separator: ", "))"
                )
            } else if pipeline != nil || status != nil {
                print(
                    "no runs match in \(store.location) (\([pipeline.map { "pipeline \($0)" }, status.map { "status \($0)" }].compactMap { $0 }.joined(separator: ", ")))"
                )
            } else {
                print("no runs recorded in \(store.location)")
            }
            return
        }
        let rows = runs.map { run in
            let marked = run.quarantined == true
            return [
                run.id, run.status.rawValue + (run.dryRun == true ? " (dry run)" : ""),
                String(run.sha.prefix(7)) + (marked ? " (quarantined)" : ""),
                run.branch ?? "-", run.trigger,
                Terminal.timestamp(run.startedAt),
                run.durationMs.map { DurationFormat.format(.milliseconds($0)) } ?? "-",
            ]
        }
        print(Terminal.table(["RUN", "STATUS", "COMMIT", "BRANCH", "TRIGGER", "STARTED", "DURATION"], rows))
    }
}
