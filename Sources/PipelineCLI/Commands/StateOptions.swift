import ArgumentParser
import Foundation
import PipelineStore

/// The `--state-dir` option shared by the commands that read or write run records.
struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: "Where runs are recorded (default: $PIPELINE_STATE_DIR, else ./.pipeline).")
    var stateDir: String?

    func openStore() throws -> RunStore {
        try RunStore(root: RunStore.defaultRoot(flag: stateDir, environment: ProcessInfo.processInfo.environment))
    }
}
