import Foundation

/// Where the local provider keeps its files: `<state-dir>/local/`.
package struct LocalPaths: Sendable {
    /// `<state-dir>/local`.
    package let root: URL

    package init(stateRoot: URL) { root = stateRoot.appendingPathComponent("local") }

    /// The agent's control socket; under /tmp when the state dir's path is too long for a unix socket.
    package var socket: String {
        let path = root.appendingPathComponent("agent.sock").path
        guard path.utf8.count >= 100 else { return path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in root.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "/tmp/pipeline-agent-\(String(hash, radix: 16)).sock"
    }
    /// The agent's pid.
    package var pidFile: String { root.appendingPathComponent("agent.pid").path }
    /// Held (flock) by the running agent for its whole life.
    package var lockFile: String { root.appendingPathComponent("agent.lock").path }
    /// Held while a CLI checks for, and starts, an agent.
    package var startLockFile: String { root.appendingPathComponent("agent-start.lock").path }
    /// The background agent's own log.
    package var agentLog: String { root.appendingPathComponent("agent.log").path }
    /// The persisted desired state.
    package var stateFile: URL { root.appendingPathComponent("state.json") }
    /// `record_name` → 127.0.0.1 lines, hosts-file format.
    package var hostsFile: URL { root.appendingPathComponent("hosts") }
    /// Snapshots of the repository, one per revision.
    package var revisions: URL { root.appendingPathComponent("revisions") }
    /// Per-task log files.
    package var taskLogs: URL { root.appendingPathComponent("tasks") }

    package func revisionFolder(family: String, revision: Int) -> URL {
        revisions.appendingPathComponent(family).appendingPathComponent(String(revision))
    }

    package func createFolders() throws {
        for url in [root, revisions, taskLogs] {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
    }
}

/// The part of an environment the agent passes on (to itself when started in the background, and to
/// tasks): where programs are, the user, the locale and time zone. Never credentials or tokens.
enum LocalEnvironment {
    static func basics(_ environment: [String: String]) -> [String: String] {
        let keep: Set<String> = ["PATH", "HOME", "LANG", "TMPDIR", "USER", "TZ"]
        return environment.filter { keep.contains($0.key) || $0.key.hasPrefix("LC_") }
    }
}
