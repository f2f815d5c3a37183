import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore
import Synchronization

/// `pipeline rollback`: returns a pipeline's service to its last good revision (or `--to`), as a
/// recorded run of the pipeline's own rollback stage under the target's lock.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll a pipeline's service back: a recorded run of its rollback stage.",
        discussion: """
            Runs the pipeline's rollback step (from on_failure or stages, with its inputs; a plain `rollback`
            when it has none) as a run of its own: recorded, under the target's lock, after recovering an
            interrupted run. Without --to the revision is the last promoted run's (see docs/stages.md).
            Exit codes: 0 rolled back (or nothing to do); 1 the rollback failed; 2 invalid input; 3 locked.
            """
    )

    @OptionGroup var chosen: PipelineArguments

    @Option(help: "The revision to return to (a task definition ARN or family:revision).")
    var to: String?

    @OptionGroup var state: StateOptions

    @Flag(name: .customLong("no-wait"), help: "Exit 3 at once if another run is deploying the same target.")
    var noWait = false

    @Flag(help: "Print the run record as JSON on stdout.")
    var json = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        let (source, definition) = try chosen.loadAtHead(registry, environment: environment)
        let isRollback = { (step: Step) in registry.resolve(step.uses)?.descriptor.name == "rollback" }
        var step =
            (definition.onFailure + definition.stages).first(where: isRollback)
            ?? Step(id: "rollback", uses: "rollback")
        step.id = "rollback"
        if let to { step.with["to"] = .literal(to) }
        var plan = definition
        plan.stages = [step]
        plan.onFailure = []
        let mode: ProgressRenderer.Mode = json ? .silent : (Terminal.stdoutIsTerminal ? .terminal : .plain)
        let executor = RunExecutor(
            registry: registry, environment: environment, store: try await state.openStore(), mode: mode, wait: !noWait)
        // A rollback that fails does not quarantine the commit: it deployed nothing new.
        try await executor.runInForeground(
            plan, source: source, trigger: "rollback", json: json, quarantineOnFailure: false)
    }
}
