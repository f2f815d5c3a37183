import Foundation
import Logging
import NIOCore
import PipelineCore
import ServiceLifecycle

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `pipeline agent`: holds the agent lock and pid file, runs the runtime and the control socket until
/// SIGTERM, SIGINT or a `stop` request, then stops every task gracefully.
package enum LocalAgent {
    package static func run(paths: LocalPaths, frontPort: Int?, environment: [String: String], logger: Logger)
        async throws
    {
        try paths.createFolders()
        TaskProcess.closeOnExecAll()
        guard let lock = try FileLock.tryLock(paths.lockFile) else {
            let pid = (try? String(contentsOfFile: paths.pidFile, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            throw PipelineError(.locked, "a local agent is already running for \(paths.root.path) (pid \(pid ?? "?"))")
        }
        defer { withExtendedLifetime(lock) {} }
        try "\(getpid())\n".write(toFile: paths.pidFile, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: paths.pidFile)
            try? FileManager.default.removeItem(atPath: paths.socket)
        }
        let runtime = try LocalRuntime(paths: paths, frontPort: frontPort, environment: environment, logger: logger)
        // One service in a ServiceGroup: SIGTERM and SIGINT start its graceful shutdown, as for `watch`.
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var config = ServiceGroupConfiguration(
            services: [
                // A `stop` request ends the service on its own: the group then ends without an error.
                .init(
                    service: AgentService(runtime: runtime, paths: paths, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup)
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = nil
        try await ServiceGroup(configuration: config).run()
    }
}

/// The agent's runtime and control socket as a `Service`: runs until its graceful shutdown (a signal)
/// or a `stop` request, then drains and stops every task.
struct AgentService: Service {
    let runtime: LocalRuntime
    let paths: LocalPaths
    let logger: Logger

    func run() async throws {
        await runtime.start()
        let (stops, continuation) = AsyncStream<String>.makeStream()
        let server = try await AgentServer.start(path: paths.socket, runtime: runtime) {
            continuation.yield("a stop request")
        }
        logger.info("agent pid \(getpid()) listening on \(paths.socket)")
        let scheduler = Task { await runtime.run() }
        let reason = await withGracefulShutdownHandler {
            var reasons = stops.makeAsyncIterator()
            return await reasons.next() ?? "end of input"
        } onGracefulShutdown: {
            continuation.yield("a signal")
        }
        logger.info("stopping (\(reason)): draining and stopping every task")
        try? await server.close()
        await runtime.shutdown()
        await scheduler.value
    }
}
