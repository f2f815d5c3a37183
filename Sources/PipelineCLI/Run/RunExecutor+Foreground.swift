import ArgumentParser
import Foundation
import PipelineCore
import Synchronization

extension RunExecutor {
    /// A run in the foreground of `run` or `rollback`: signals cancel it (a second one records it as
    /// interrupted and exits 130), then the record is printed (JSON or a summary) and the command exits
    /// 0 when it succeeded, else 1.
    func runInForeground(
        _ pipeline: Pipeline, source: ResolvedSource, trigger: String, json: Bool, quarantineOnFailure: Bool = true
    ) async throws -> Never {
        let control = RunControl()
        let signals = Mutex<SignalTrap?>(nil)
        let quiet = mode == .silent
        let final: RunRecord
        do {
            defer { signals.withLock { $0?.uninstall() } }
            final = try await execute(
                pipeline, source: source.tree, commit: source.commit, repository: source.repository, trigger: trigger,
                control: control, quarantineOnFailure: quarantineOnFailure,
                onStart: { recorder, _ in
                    let trap = SignalTrap(control: control, recorder: recorder, quiet: quiet)
                    trap.install()
                    signals.withLock { $0 = trap }
                })
        }
        if json {
            print(try Terminal.json(final))
        } else {
            Terminal.write(Summary.text(final) + "\n")
        }
        throw ExitCode(final.status == .succeeded ? 0 : 1)
    }
}
