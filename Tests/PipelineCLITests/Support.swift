import Foundation
import PipelineTestKit
import PipelineTestSupport

/// Runs the built `pipeline-testkit` binary (the stock CLI plus the test stages) in a folder.
struct CLI {
    let cwd: String
    var environment: [String: String]

    init(cwd: String, environment: [String: String] = [:]) {
        self.cwd = cwd
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
        ]
        env.merge(environment) { _, new in new }
        self.environment = env
    }

    static var testkitBinary: String { ProcessRunner.productsFolder.appendingPathComponent("pipeline-testkit").path }
    static var stockBinary: String { ProcessRunner.productsFolder.appendingPathComponent("pipeline").path }

    @discardableResult
    func run(_ arguments: String..., binary: String = CLI.testkitBinary) throws -> ProcessRunner.Output {
        try ProcessRunner.run(binary, arguments, cwd: cwd, environment: environment)
    }

    /// Runs the stock `pipeline` binary on a thread of its own: a blocking wait must not hold one of the
    /// few cooperative threads every other test's timers need.
    func stock(_ arguments: [String]) async throws -> ProcessRunner.Output {
        let (cwd, environment) = (self.cwd, self.environment)
        return try await offThread {
            try ProcessRunner.run(CLI.stockBinary, arguments, cwd: cwd, environment: environment)
        }
    }

    func start(_ arguments: String...) throws -> ProcessRunner.Running {
        try ProcessRunner.start(CLI.testkitBinary, arguments, cwd: cwd, environment: environment)
    }
}

/// A repository with a pipelines/ folder, committed.
func repoWith(_ pipelines: [String: String], files: [String: String] = [:]) throws -> GitFixture {
    let repo = try GitFixture()
    for (name, text) in pipelines { try repo.write("pipelines/\(name).yml", text) }
    for (path, text) in files { try repo.write(path, text) }
    try repo.commit("initial")
    return repo
}

let localTarget = "target: {provider: local, service: web}\n"

/// Polls until a condition holds or a deadline passes; an error counts as "not yet".
func eventually(_ timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return (try? await condition()) == true
}
