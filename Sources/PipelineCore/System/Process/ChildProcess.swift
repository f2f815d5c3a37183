import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Runs a child process with a clean signal state in its own process group: stdin written, stdout
/// collected up to a limit, stderr streamed line by line, and on cancellation SIGTERM to the group,
/// then SIGKILL after a grace period. A non-zero exit is a result, not a throw.
public enum ChildProcess {
    /// How the process ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// `exited with code N` or `killed by signal N`.
        public var description: String {
            switch self {
            case .exited(let code): return "exited with code \(code)"
            case .signaled(let signal): return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : "")"
            }
        }
    }

    /// What a finished process left.
    public struct Result: Sendable {
        /// How it ended.
        public var termination: Termination
        /// stdout, at most `stdoutLimit` bytes.
        public var stdout: Data
        /// True when stdout went past the limit (the rest was read and dropped).
        public var stdoutTruncated: Bool
        /// True when it was stopped because the task was cancelled.
        public var cancelled: Bool
    }

    /// Runs `path` and waits for it. `onStderrLine` gets each stderr line (at most `stderrLimit` bytes in all,
    /// then one note that the rest was dropped).
    public static func run(
        path: String, arguments: [String] = [], environment: [String: String], workingDirectory: String? = nil,
        stdin: Data, stdoutLimit: Int = 1 << 20, stderrLimit: Int = 8 << 20, grace: Duration = .seconds(5),
        onStderrLine: @escaping @Sendable (String) -> Void
    ) async throws -> Result {
        let spawned = try spawn(path: path, arguments: arguments, environment: environment, cwd: workingDirectory)
        let pid = spawned.pid
        let cancelled = OneWayFlag()
        return await withTaskCancellationHandler {
            async let out = readAll(spawned.stdout, limit: stdoutLimit)
            async let err: Void = readLines(spawned.stderr, limit: stderrLimit, onLine: onStderrLine)
            async let written: Void = writeAll(spawned.stdin, stdin)
            let termination = await waitFor(pid)
            let (stdout, truncated) = await out
            await err
            await written
            return Result(
                termination: termination, stdout: stdout, stdoutTruncated: truncated, cancelled: cancelled.isSet)
        } onCancel: {
            cancelled.set()
            kill(-pid, SIGTERM)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: grace.seconds)
                kill(-pid, SIGKILL)
            }
        }
    }

    struct Spawned {
        var pid: pid_t
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
    }

    static func spawn(path: String, arguments: [String], environment: [String: String], cwd: String?) throws -> Spawned
    {
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        func makePipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard makePipe(&inPipe), makePipe(&outPipe), makePipe(&errPipe) else {
            throw PipelineError(.io, "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        _ = cwd  // The child starts in the engine's folder; plugins get PIPELINE_* paths instead.
        // Its own process group, so that a timeout stops its children too.
        let started = Swift.Result { try Spawn.start(path, arguments, environment: environment, actions: &actions) }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        let pid: pid_t
        do { pid = try started.get() } catch {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw error
        }
        return Spawned(pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: errPipe[0])
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    static func writeAll(_ fd: Int32, _ data: Data) async {
        await onThread {
            signal(SIGPIPE, SIG_IGN)
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(fd)
        }
    }

    static func readAll(_ fd: Int32, limit: Int) async -> (Data, Bool) {
        await onThread {
            var data = Data()
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                total += n
                if data.count < limit { data.append(contentsOf: buffer[0..<min(n, limit - data.count)]) }
            }
            close(fd)
            return (data, total > limit)
        }
    }

    static func readLines(_ fd: Int32, limit: Int, onLine: @escaping @Sendable (String) -> Void) async {
        await onThread {
            var pending = Data()
            var total = 0
            var noted = false
            var buffer = [UInt8](repeating: 0, count: 16384)
            func emit(_ bytes: Data) {
                guard total < limit else {
                    if !noted {
                        onLine("[stderr over \(limit) bytes: the rest was dropped]")
                        noted = true
                    }
                    return
                }
                total += bytes.count
                onLine(String(decoding: bytes, as: UTF8.self))
            }
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending.append(contentsOf: buffer[0..<n])
                while let newline = pending.firstIndex(of: 0x0A) {
                    emit(pending[pending.startIndex..<newline])
                    pending.removeSubrange(pending.startIndex...newline)
                }
                if pending.count > 65536 {
                    emit(pending)
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { emit(pending) }
            close(fd)
        }
    }

    static func waitFor(_ pid: pid_t) async -> Termination {
        await onThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
            return signaled ? .signaled(status & 0x7f) : .exited((status >> 8) & 0xff)
        }
    }
}
