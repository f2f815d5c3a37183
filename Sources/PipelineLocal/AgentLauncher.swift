import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Finds the running agent of a state dir, or starts one in the background.
public enum AgentLauncher {
    /// What `ensureRunning` did, for the CLI to tell the user.
    public struct Outcome: Sendable {
        public var client: AgentClient
        public var started: Bool
        public var note: String?
    }

    /// The agent's pid when one is running (its lock is held), else nil.
    public static func runningPID(_ paths: LocalPaths) -> Int32? {
        let fd = open(paths.lockFile, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let text = (try? String(contentsOfFile: paths.pidFile, encoding: .utf8)) ?? ""
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Returns a client of the running agent, starting `executable agent` detached when none runs.
    public static func ensureRunning(paths: LocalPaths, executable: String, environment: [String: String]) async throws
        -> Outcome
    {
        try paths.createFolders()
        let client = AgentClient(socketPath: paths.socket)
        if runningPID(paths) != nil, (try? await client.send(AgentRequest("ping"), timeout: 5))?.ok == true {
            return Outcome(client: client, started: false)
        }
        let startLock = open(paths.startLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard startLock >= 0 else { throw PipelineError(.io, "cannot open \(paths.startLockFile)") }
        defer { close(startLock) }
        flock(startLock, LOCK_EX)
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
            if (try? client.sendBlocking(AgentRequest("ping"), timeout: 2))?.ok == true {
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
        let log = open(paths.agentLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw PipelineError(.io, "cannot open \(paths.agentLog)") }
        defer { close(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // A new session: no terminal, so the CLI's Ctrl-C, its death or a closed terminal don't reach it.
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))
        let stateRoot = paths.root.deletingLastPathComponent().path
        let argv = [executable, "agent", "--state-dir", stateRoot]
        // The agent never needs AWS credentials; keep them out of it and of its tasks.
        let env = environment.filter { !$0.key.hasPrefix("AWS_") }.merging(["PIPELINE_AGENT_BACKGROUND": "1"]) { $1 }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, cArgs, cEnv)
        guard result == 0 else {
            throw PipelineError(
                .io, "cannot start the local agent (\(executable)): \(String(cString: strerror(result)))")
        }
        return pid
    }

    static func lastLines(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// This program's own path, to start the agent with.
    public static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
