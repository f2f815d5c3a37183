import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore
import PipelineStoreS3

/// The `--state-dir` option shared by the commands that read or write run records: a folder, or
/// `s3://BUCKET/PREFIX` for a state every machine shares (docs/state.md).
struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help:
            "Where runs are recorded: a folder or s3://BUCKET/PREFIX (default: $PIPELINE_STATE_DIR, else ./.pipeline).")
    var stateDir: String?

    @Option(
        name: .customLong("lease-ttl"),
        help:
            "With S3 state: how long a lock outlives its holder's last renewal (default: $PIPELINE_LEASE_TTL, else 30s)."
    )
    var leaseTTL: String?

    /// The store as named by the flag or the environment, checked (an S3 bucket must answer).
    func openStore() async throws -> any StateStore {
        try await Self.open(flag: stateDir, leaseTTL: leaseTTL, environment: ProcessInfo.processInfo.environment)
    }

    /// The folder for what stays on this machine (the agent, mirrors, plugins): the state folder, or
    /// with S3 state `$PIPELINE_LOCAL_DIR`, else ./.pipeline.
    var localRoot: String { Self.localRoot(flag: stateDir, environment: ProcessInfo.processInfo.environment) }

    static func location(flag: String?, environment: [String: String]) -> String {
        RunStore.defaultRoot(flag: flag, environment: environment)
    }

    static func localRoot(flag: String?, environment: [String: String]) -> String {
        let location = location(flag: flag, environment: environment)
        guard location.hasPrefix("s3://") else { return location }
        if let local = environment["PIPELINE_LOCAL_DIR"], !local.isEmpty { return local }
        return FileManager.default.currentDirectoryPath + "/.pipeline"
    }

    static func open(flag: String?, leaseTTL: String?, environment: [String: String]) async throws -> any StateStore {
        let location = location(flag: flag, environment: environment)
        guard location.hasPrefix("s3://") else { return try RunStore(root: location) }
        let ttlText = leaseTTL ?? environment["PIPELINE_LEASE_TTL"] ?? "30s"
        guard let ttl = DurationFormat.parse(ttlText) else {
            throw PipelineError(.invalidInput, "--lease-ttl '\(ttlText)' is not a duration (e.g. 30s, 2m)")
        }
        let store = try S3StateStore(
            url: location, environment: environment, localRoot: localRoot(flag: flag, environment: environment),
            ttl: ttl)
        try await store.check()
        return store
    }
}
