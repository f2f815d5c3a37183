import Foundation

/// Runs real processes in tests: the built `pipeline` binaries, git, scripts.
package enum ProcessRunner {
    /// What a finished process left behind.
    package struct Output: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    /// The folder holding the package's built products (next to the running test binary).
    package static var productsFolder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Runs a command to its end.
    @discardableResult
    package static func run(
        _ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil,
        stdin: String? = nil
    ) throws -> Output {
        let process = try start(executable, arguments, cwd: cwd, environment: environment, stdin: stdin)
        return process.wait()
    }

    /// Starts a command and returns a handle to signal and wait for it.
    package static func start(
        _ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil,
        stdin: String? = nil
    ) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        return Running(process: process, out: out, err: err)
    }

    /// A process that was started.
    package final class Running: @unchecked Sendable {
        // @unchecked: Process and Pipe are used from one test at a time.
        package let process: Process
        private let collector: Collector

        init(process: Process, out: Pipe, err: Pipe) {
            self.process = process
            self.collector = Collector(out: out, err: err)
        }

        /// Sends a signal.
        package func signal(_ signo: Int32) { kill(process.processIdentifier, signo) }

        /// Waits for the end and returns what it printed.
        package func wait() -> Output {
            let (stdout, stderr) = collector.finish()
            process.waitUntilExit()
            return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }

        /// What it has printed to stdout so far.
        package var stdoutSoFar: String { collector.stdoutSoFar }
    }

    final class Collector: @unchecked Sendable {
        // @unchecked: buffers are guarded by `lock`.
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        private let group = DispatchGroup()

        init(out: Pipe, err: Pipe) {
            for (pipe, isOut) in [(out, true), (err, false)] {
                group.enter()
                let handle = pipe.fileHandleForReading
                Thread.detachNewThread { [self] in
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        lock.lock()
                        if isOut { self.out.append(chunk) } else { self.err.append(chunk) }
                        lock.unlock()
                    }
                    group.leave()
                }
            }
        }

        var stdoutSoFar: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: out, as: UTF8.self)
        }

        func finish() -> (String, String) {
            group.wait()
            lock.lock()
            defer { lock.unlock() }
            return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }
    }
}

/// Makes real git repositories for tests, with the git command line.
package struct GitFixture: Sendable {
    /// The work tree.
    package let path: String

    /// Creates an empty repository on branch `main` in a new temporary folder.
    package init() throws {
        path = NSTemporaryDirectory() + "pipeline-repo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git("init", "-q", "-b", "main")
        try git("config", "user.name", "Test Author")
        try git("config", "user.email", "author@example.com")
        try git("config", "commit.gpgsign", "false")
    }

    /// Runs git in the repository; throws when it fails.
    @discardableResult
    package func git(_ arguments: String...) throws -> String {
        let output = try ProcessRunner.run("git", arguments, cwd: path)
        guard output.status == 0 else {
            throw NSError(domain: "git", code: Int(output.status), userInfo: [NSLocalizedDescriptionKey: output.stderr])
        }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a file in the work tree (creating folders).
    package func write(_ relativePath: String, _ contents: String, executable: Bool = false) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
    }

    /// Stages everything and commits; returns the new sha.
    @discardableResult
    package func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD")
    }
}

/// Runs blocking work (a process, a python fixture) on a thread of its own: a test must not hold one
/// of the few cooperative threads that every other test's timers need.
package func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// `offThread` for work that cannot fail.
package func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
