import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PipelineCore
import PipelineServer
import PipelineStore
import ServiceLifecycle

/// `pipeline serve`: the run dashboard in the browser, over the same state as the CLI.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the run dashboard (runs, a run with live logs, a target, actions, /api/v1).",
        discussion: """
            Binds loopback unless told otherwise. With PIPELINE_SERVE_TOKEN set, approve / reject / abort /
            skip-bake are offered after logging in with the token (POSTs need it and pass a CSRF check);
            without it the dashboard is read-only. docs/dashboard.md.
            """)

    @Option(help: "HOST:PORT to listen on.")
    var listen: String = "127.0.0.1:8090"

    @OptionGroup var state: StateOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let address = try EngineServer.parse(listen, flag: "--listen")
        let store = try await state.openStore()
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        let token = environment["PIPELINE_SERVE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let dashboard = Dashboard(
            store: store, auth: DashboardAuth(token: token),
            target: { pipeline in
                try await Self.report(pipeline, store: store, registry: registry, environment: environment)
            })
        var logger = Logger(label: "pipeline.serve")
        logger.logLevel = .warning
        let app = Application(
            router: dashboard.router(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "pipeline"),
            onServerRunning: { _ in
                Terminal.write(
                    "dashboard at http://\(listen)/ (\(token == nil ? "read-only: no PIPELINE_SERVE_TOKEN" : "actions after /login")); state \(store.location)\n"
                )
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `pipeline status`'s report for a pipeline, from the pipeline file its newest run recorded.
    static func report(
        _ pipeline: String, store: any StateStore, registry: StageRegistry, environment: [String: String]
    ) async throws -> StatusReport {
        guard let newest = try await store.list(pipeline: pipeline, status: nil, limit: 1, includeDryRuns: true).first,
            let text = try await store.pipelineSource(runID: newest.id)
        else {
            throw PipelineError(.notFound, "no recorded run of '\(pipeline)' keeps its pipeline file")
        }
        let record = try await store.load(runID: newest.id)
        let definition = try Catalog.loader(registry, environment: environment).load(
            text: text, file: record.pipelineFile)
        let source = InMemorySourceTree(files: [record.pipelineFile: text], description: "\(newest.id)'s pipeline.yml")
        return try await StatusLook.prepare(
            definition, source: source, commit: record.commit, registry: registry, environment: environment,
            stateRoot: store.localRoot, note: { _ in }
        ).report(store: store, runs: 10)
    }
}
