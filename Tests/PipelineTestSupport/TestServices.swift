import Foundation
import Synchronization

/// The repository's root folder, found from this source file (for `Tests/Support` scripts).
package let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A helper process from `Tests/Support` that prints one JSON line when ready and dies with the test process.
package final class SupportServer: @unchecked Sendable {
    // @unchecked: immutable after start; Process is only terminated in deinit.
    package let process: Process
    /// Our end of the helper's stdin: when this process dies it closes, and the helper exits.
    private let lifeline: Pipe
    /// The JSON line it printed.
    package let info: [String: Any]
    /// `http://127.0.0.1:PORT`.
    package let endpoint: String

    /// Starts `Tests/Support/<script>` with arguments and waits for its ready line.
    package init(script: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Python.executable())
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/Support/\(script)").path] + arguments
        var env = ProcessInfo.processInfo.environment
        // Helpers must never look for real credentials (that would reach the EC2 metadata address).
        env.merge(["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"]) {
            _, new in new
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        let lifeline = Pipe()
        process.standardInput = lifeline
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let handle = out.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { break }
            line.append(byte)
        }
        guard let info = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
            let port = info["port"] as? Int
        else {
            process.terminate()
            throw NSError(
                domain: "SupportServer", code: 1,
                userInfo: [NSLocalizedDescriptionKey: "\(script) did not start (is python3 with moto installed?)"])
        }
        self.process = process
        self.lifeline = lifeline
        self.info = info
        self.endpoint = "http://127.0.0.1:\(port)"
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

/// The real python3 binary (not a version-manager shim, which would stand between us and the helper's pid).
package enum Python {
    private static let cached = Mutex<String?>(nil)

    package static func executable() throws -> String {
        if let path = cached.withLock({ $0 }) { return path }
        let out = try ProcessRunner.run("python3", ["-c", "import sys; print(sys.executable)"])
        let path = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard out.status == 0, !path.isEmpty else {
            throw NSError(domain: "Python", code: 1, userInfo: [NSLocalizedDescriptionKey: "python3 not found"])
        }
        cached.withLock { $0 = path }
        return path
    }
}

/// moto's server with the ECS deployment patch, shared by the tests of one process.
package enum Moto {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var server: SupportServer?

    /// The shared server (started on first use). Tests use unique resource names.
    package static func shared() throws -> SupportServer {
        lock.lock()
        defer { lock.unlock() }
        if let server { return server }
        let started = try SupportServer(script: "moto_server.py")
        server = started
        return started
    }

    /// Runs `Tests/Support/aws_fixture.py` against an endpoint and returns its JSON output.
    package static func fixture(_ endpoint: String, _ arguments: String...) throws -> [String: Any] {
        try fixture(endpoint, arguments: arguments)
    }

    /// `fixture(_:_:)` with the arguments as an array.
    package static func fixture(_ endpoint: String, arguments: [String]) throws -> [String: Any] {
        let out = try ProcessRunner.run(
            "python3",
            [repositoryRoot.appendingPathComponent("Tests/Support/aws_fixture.py").path, endpoint] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(
                [
                    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_EC2_METADATA_DISABLED": "true",
                ]
            ) { _, new in new })
        guard out.status == 0 else {
            throw NSError(
                domain: "aws_fixture", code: Int(out.status), userInfo: [NSLocalizedDescriptionKey: out.stderr])
        }
        return (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
    }
}
