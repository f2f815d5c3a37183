import Dispatch
import Foundation
import Logging
import NIOCore
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `pipeline agent`: holds the agent lock and pid file, runs the runtime and the control socket until
/// SIGTERM, SIGINT or a `stop` request, then stops every task gracefully.
public enum LocalAgent {
    public static func run(paths: LocalPaths, frontPort: Int?, environment: [String: String], logger: Logger)
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
        await runtime.start()
        let (stops, continuation) = AsyncStream<String>.makeStream()
        let server = try await AgentServer.start(path: paths.socket, runtime: runtime) {
            continuation.yield("a stop request")
        }
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        logger.info("agent pid \(getpid()) listening on \(paths.socket)")
        let scheduler = Task { await runtime.run() }
        var reasons = stops.makeAsyncIterator()
        let reason = await reasons.next() ?? "end of input"
        logger.info("stopping (\(reason)): draining and stopping every task")
        try? await server.close()
        await runtime.shutdown()
        await scheduler.value
        sources.forEach { $0.cancel() }
    }
}
