import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Starting, watching and stopping task processes: each container in its own process group, stdin from
/// /dev/null, stdout and stderr appended to a log file, the working directory set by a `cd` before `exec`.
enum TaskProcess {
    /// Starts one task process; returns its pid (also its process group id).
    static func spawn(argv: [String], environment: [String: String], directory: String, log: String) throws -> pid_t {
        try spawn("/bin/sh", inDirectory(directory, argv), environment: environment, output: log, newSession: false)
    }

    /// `sh` arguments that `cd` into `directory`, then `exec` the command (looked up in PATH, relative paths
    /// from the directory).
    static func inDirectory(_ directory: String, _ argv: [String]) -> [String] {
        ["-c", "cd -- \"$0\" || exit 126; exec \"$@\"", directory] + argv
    }

    /// Spawns with stdin from /dev/null and stdout and stderr appended to `output`.
    static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String], output: String, newSession: Bool
    ) throws -> pid_t {
        let logFD = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else {
            throw PipelineError(.io, "cannot open \(output): \(String(cString: strerror(errno)))")
        }
        defer { close(logFD) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        return try Spawn.start(path, arguments, environment: environment, actions: &actions, newSession: newSession)
    }

    /// Marks every descriptor above stderr close-on-exec, so that no child inherits one by accident (a
    /// descriptor a parent process leaked to us, e.g. the one Foundation's Process uses to see its child exit).
    static func closeOnExecAll() {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in fds.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// The exit of a child that ended, without blocking; nil while it runs.
    static func reap(_ pid: pid_t) -> ChildProcess.Termination? {
        var status: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &status, WNOHANG) } while r < 0 && errno == EINTR
        if r == 0 { return nil }
        if r < 0 { return .exited(-1) }  // not our child any more (or gone): treat as ended
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        return signaled ? .signaled(status & 0x7f) : .exited((status >> 8) & 0xff)
    }

    /// Sends a signal to the process group of `pid`.
    static func signal(_ pid: pid_t, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    static func isAlive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Whether `pid` is a task process this agent family started (its environment carries the task id).
    static func belongs(_ pid: pid_t, task: String) -> Bool {
        guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else {
            return isAlive(pid)
        }
        return environ.split(separator: 0).contains {
            String(decoding: $0, as: UTF8.self) == "PIPELINE_TASK_ID=\(task)"
        }
    }

    /// A free TCP port on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PipelineError(.io, "cannot create a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw PipelineError(.io, "cannot find a free port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The last line of a log file (for failure reasons).
    static func lastLine(of path: String) -> String? { lastLines(of: path, count: 1).last }

    /// The last `count` non-empty lines of a log file (at most its last 2 KB), without the agent's banner.
    static func lastLines(of path: String, count: Int) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 2048 ? size - 2048 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { String($0.prefix(300)) }.filter { !$0.hasPrefix("=== ") && !$0.isEmpty }
        return Array(lines.suffix(count))
    }
}

/// A free TCP port on 127.0.0.1 (for listeners, tests and benchmarks).
package enum FreePort {
    package static func next() throws -> Int { try TaskProcess.freePort() }
}
