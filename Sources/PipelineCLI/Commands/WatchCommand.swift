import ArgumentParser
import Foundation
import PipelineCore
import PipelineGit
import PipelineServer
import PipelineStore
import ServiceLifecycle

/// `pipeline watch`: GitOps — runs pipelines for new commits on watched branches.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch a repository's branches and run the pipelines whose on.push filters match each new commit.",
        discussion: """
            A local repository wakes the watch as its refs change (inotify on Linux) and is polled every --poll besides
            (cheap: its refs only); a remote URL is fetched into a mirror
            in the state folder every --interval. The last commit seen per branch and per pipeline is kept in the
            state folder, so a restart neither misses nor repeats a commit. SIGTERM/SIGINT: no new run starts; a
            running stage finishes, or after --grace-period is cancelled and on_failure runs; exit 0.
            """)

    @Option(help: "A repository path, or a URL (file://, https, ssh) to mirror.")
    var repo: String

    @Option(name: .customLong("branch"), help: "A branch (or glob) to watch; repeat for more (default: every branch).")
    var branches: [String] = []

    @Option(help: "How often to fetch a remote repository.")
    var interval: String = "10s"

    @Option(help: "How often to look at a local repository's refs.")
    var poll: String = "250ms"

    @Flag(
        name: .customLong("no-inotify"),
        help: "Poll a local repository's refs only (for folders whose changes inotify does not see, e.g. NFS).")
    var noInotify = false

    @Option(name: .customLong("grace-period"), help: "How long a running stage may go on after SIGTERM/SIGINT.")
    var gracePeriod: String = "30s"

    @Flag(help: "Look once, run what is due, and exit.")
    var once = false

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464).")
    var metrics: String?

    @Option(
        help:
            "Accept push webhooks at http://HOST:PORT/hooks/github and /hooks/gitlab, verified with $PIPELINE_WEBHOOK_SECRET; a verified push fetches at once."
    )
    var listen: String?

    @OptionGroup var state: StateOptions

    func validate() throws {
        for (flag, value) in [("--interval", interval), ("--poll", poll), ("--grace-period", gracePeriod)] {
            guard DurationFormat.parse(value) != nil else {
                throw ValidationError("\(flag): expected a duration like 500ms, 10s or 1m, got '\(value)'")
            }
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let metricsAddress = try metrics.map { try EngineServer.parse($0, flag: "--metrics") }
        let listenAddress = try listen.map { try EngineServer.parse($0, flag: "--listen") }
        let secret = environment["PIPELINE_WEBHOOK_SECRET"] ?? ""
        if listenAddress != nil, secret.isEmpty {
            throw PipelineError(
                .invalidInput, "--listen needs PIPELINE_WEBHOOK_SECRET: the secret the webhooks are signed with")
        }
        let store = try await state.openStore()
        let watcher = try await Watcher(
            repo: repo, branchFilters: branches, store: store,
            registry: Catalog.registry(stateDirectory: state.stateDir),
            environment: environment, interval: DurationFormat.parse(interval)!, poll: DurationFormat.parse(poll)!,
            refEvents: !noInotify)
        if once {
            try await watcher.cycle()
            return
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: watcher)]
        let registry = metricsAddress.map { _ in MetricsExposition.bootstrap() }
        let hooks = listenAddress.map { _ in
            PushHooks(secret: secret, onPush: { _ in watcher.wake() }, log: { watcher.log($0) })
        }
        if let metricsAddress, let listenAddress, metricsAddress == listenAddress {
            services.append(.init(service: EngineServer.make(address: metricsAddress, metrics: registry, hooks: hooks)))
        } else {
            if let metricsAddress {
                services.append(
                    .init(service: EngineServer.make(address: metricsAddress, metrics: registry, hooks: nil)))
                watcher.log("metrics at http://\(metrics ?? "")/metrics")
            }
            if let listenAddress {
                services.append(.init(service: EngineServer.make(address: listenAddress, metrics: nil, hooks: hooks)))
                watcher.log("webhooks at http://\(listen ?? "")/hooks/github and /hooks/gitlab")
            }
        }
        var config = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: .init(label: "pipeline.watch"))
        config.maximumGracefulShutdownDuration = DurationFormat.parse(gracePeriod)!
        try await ServiceGroup(configuration: config).run()
    }
}
