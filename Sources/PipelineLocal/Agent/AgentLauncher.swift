import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Finds the running agent of a state dir, or starts one in the background.
package enum AgentLauncher {
    /// What `ensureRunning` did, for the CLI to tell the user.
    package struct Outcome: Sendable {
        package var client: AgentClient
        package var started: Bool
        package var note: String?
    }

    /// The agent's pid when one is running (its lock is held), else nil.
    package static func runningPID(_ paths: LocalPaths) -> Int32? {
        guard FileLock.isHeld(paths.lockFile) else { return nil }
        let text = (try? String(contentsOfFile: paths.pidFile, encoding: .utf8)) ?? ""
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Returns a client of the running agent, starting `executable agent` detached when none runs.
    package static func ensureRunning(paths: LocalPaths, executable: String, environment: [String: String]) async throws
        -> Outcome
    {
        try paths.createFolders()
        let client = AgentClient(socketPath: paths.socket)
        if runningPID(paths) != nil, (try? await client.send(AgentRequest.ping, timeout: 5))?.ok == true {
            return Outcome(client: client, started: false)
        }
        let startLock = try FileLock.lock(paths.startLockFile)
        defer { withExtendedLifetime(startLock) {} }
        if runningPID(paths) != nil {
            return Outcome(client: client, started: false, note: nil)
        }
        var note: String?
        if let text = try? String(contentsOfFile: paths.pidFile, encoding: .utf8) {
            note =
                "removed a stale agent pid file (pid \(text.trimmingCharacters(in: .whitespacesAndNewlines)) is not running)"
            try? FileManager.default.removeItem(atPath: paths.pidFile)
        }
        let pid = try spawnDetached(paths: paths, executable: executable, environment: environment)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? client.sendBlocking(AgentRequest.ping, timeout: 2))?.ok == true {
                // Reap it when it ends, so that a long-lived parent (`pipeline watch`) keeps no zombie.
                Thread.detachNewThread {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                }
                return Outcome(client: client, started: true, note: note)
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw PipelineError(
                    .io, "the local agent exited at start; see \(paths.agentLog): \(lastLines(paths.agentLog))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PipelineError(.timedOut, "the local agent did not answer within 20s; see \(paths.agentLog)")
    }

    static func spawnDetached(paths: LocalPaths, executable: String, environment: [String: String]) throws -> pid_t {
        TaskProcess.closeOnExecAll()
        let stateRoot = paths.root.deletingLastPathComponent().path
        // The agent needs no credentials or tokens: it gets the basics of the environment and nothing else.
        var env = LocalEnvironment.basics(environment)
        env["PIPELINE_LOCAL_FRONT_PORT"] = environment["PIPELINE_LOCAL_FRONT_PORT"]
        // A new session: no terminal, so the CLI's Ctrl-C, its death or a closed terminal don't reach it.
        do {
            return try TaskProcess.spawn(
                executable, ["agent", "--state-dir", stateRoot], environment: env, output: paths.agentLog,
                newSession: true)
        } catch let error as PipelineError {
            throw PipelineError(.io, "cannot start the local agent (\(executable)): \(error.message)")
        }
    }

    static func lastLines(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// This program's own path, to start the agent with.
    package static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
