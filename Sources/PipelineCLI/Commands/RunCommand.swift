import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore
import Synchronization

/// `pipeline run`: runs a pipeline once, by hand.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline once.",
        discussion: """
            PIPELINE is a name under pipelines/ (web → pipelines/web.yml), the `name:` a file declares, or a path.
            Exit codes: 0 succeeded; 1 failed or rolled back; 2 invalid input; 3 target locked (--no-wait).
            """
    )

    @OptionGroup var chosen: PipelineArguments

    @Option(help: "The commit, branch or tag to deploy (default: the current branch's head).")
    var commit: String?

    @OptionGroup var state: StateOptions

    @Flag(name: .customLong("no-wait"), help: "Exit 3 at once if another run is deploying the same target.")
    var noWait = false

    @Flag(name: .customLong("dry-run"), help: "Say what each stage would do; change nothing.")
    var dryRun = false

    @Flag(help: "Print the run record as one JSON document, and nothing else, on stdout.")
    var json = false

    @Flag(help: "Deploy a quarantined commit (one whose earlier run rolled back) anyway.")
    var force = false

    @Flag(
        name: .customLong("work-tree"),
        help: "Use the files as they are instead of a commit (recorded as the work tree); needed outside git.")
    var workTree = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        StartupTrace.milestone("arguments parsed")
        let source = try chosen.resolve(commit: commit, workTree: workTree)
        StartupTrace.milestone("commit resolved")
        let loader = Catalog.loader(registry, environment: environment)
        // Every problem of every layer (the file, then each step's preflight) in one report, before anything.
        let definition = try loader.loadAndPreflight(
            file: try loader.locate(named: source.pipelineRef, in: source.tree), from: source.tree,
            commit: source.commit, environment: environment)
        let mode: ProgressRenderer.Mode = json ? .silent : (Terminal.stdoutIsTerminal ? .terminal : .plain)
        StartupTrace.milestone("pipeline loaded and checked")
        let store = try await state.openStore()
        StartupTrace.milestone("state opened")
        if !dryRun, let mark = await store.quarantined(pipeline: definition.name, sha: source.commit.sha) {
            if !force {
                throw PipelineError(
                    .invalidInput,
                    "commit \(source.commit.shortSHA) is quarantined: run \(mark.runID) rolled it back (\(mark.reason)). Deploy it anyway with `pipeline run \(chosen.pipeline) --commit \(source.commit.sha) --force`"
                )
            }
            if mode != .silent {
                Terminal.note(
                    "deploying quarantined commit \(source.commit.shortSHA) (--force; \(mark.runID) rolled it back)")
            }
        }
        let executor = RunExecutor(
            registry: registry, environment: environment, store: store, mode: mode, dryRun: dryRun,
            wait: !noWait)
        try await executor.runInForeground(definition, source: source, trigger: "manual", json: json)
    }
}
