import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline recover`: finishes runs whose process died (kill -9, a lost host) by running their `on_failure`.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Recover interrupted runs: run their on_failure stages (usually a rollback).",
        discussion: """
            Without RUN_ID, recovers every run that was changing a target when its process died and whose
            target is free. `pipeline run` and `pipeline watch` do the same for their targets on their own.
            Exit codes: 0 recovered (or nothing to recover); 1 a recovery failed; 2 invalid input; 3 locked.
            """
    )

    @Argument(help: "The interrupted run (e.g. web-12); default: every abandoned run.")
    var runID: String?

    @OptionGroup var state: StateOptions

    @Flag(name: .customLong("no-wait"), help: "Exit 3 at once if the run's target is locked.")
    var noWait = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        let store = try await state.openStore()
        let executor = RunExecutor(
            registry: registry, environment: environment, store: store,
            mode: Terminal.stdoutIsTerminal ? .terminal : .plain, wait: !noWait)
        var recovered: [RunRecord] = []
        if let runID {
            let record = try await store.load(runID: runID)
            guard record.status == .interrupted || record.status == .running else {
                Terminal.write("\(runID) is \(record.status.rawValue): nothing to recover\n")
                return
            }
            let lock = try await store.acquireLock(
                key: record.target.lockKey, holder: LeaseHolder(purpose: "recovery of \(runID)"), wait: !noWait,
                onWait: { Terminal.note($0) })
            do {
                if let done = try await executor.recover(runID, holding: lock) { recovered.append(done) }
                await lock.release()
            } catch {
                await lock.release()
                throw error
            }
        } else {
            recovered = await executor.recoverAbandoned()
            if recovered.isEmpty { Terminal.write("no interrupted run to recover\n") }
        }
        for record in recovered {
            Terminal.write("\(record.id) \(record.status.rawValue)\(record.error.map { ": \($0)" } ?? "")\n")
        }
        let undoFailed = recovered.contains { record in
            record.stages.contains { $0.phase == "on_failure" && [.failed, .timedOut].contains($0.status) }
        }
        if undoFailed { throw ExitCode(1) }
    }
}
