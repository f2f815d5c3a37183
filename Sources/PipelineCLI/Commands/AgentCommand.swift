import ArgumentParser
import Foundation
import Logging
import PipelineCore
import PipelineLocal
import PipelineStore

/// `pipeline agent`: the local provider's runtime (tasks, load balancer, alarms) and its controls.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the local provider's agent in the foreground, or show or stop the running one.",
        discussion: """
            `pipeline run` and `pipeline watch` start the agent in the background when a pipeline with \
            `provider: local` needs it. Its files are under <state-dir>/local/.
            """,
        subcommands: [AgentRunCommand.self, AgentStatusCommand.self, AgentStopCommand.self],
        defaultSubcommand: AgentRunCommand.self)
}

extension StateOptions {
    var localPaths: LocalPaths {
        LocalPaths(stateRoot: URL(fileURLWithPath: localRoot).standardizedFileURL)
    }
}

/// `pipeline agent run` (the default): the agent in the foreground until Ctrl-C or `pipeline agent stop`.
struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the agent in the foreground (Ctrl-C stops every task gracefully).")

    @OptionGroup var state: StateOptions

    @Option(
        help:
            "Port of the front listener that routes by Host header (dns-alias); 0 picks one, -1 turns it off (default: $PIPELINE_LOCAL_FRONT_PORT, else 8000)."
    )
    var frontPort: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = frontPort ?? environment["PIPELINE_LOCAL_FRONT_PORT"].flatMap(Int.init) ?? 8000
        var logger = Logger(label: "pipeline.agent") { _ in AgentLogHandler() }
        logger.logLevel = .info
        try await LocalAgent.run(
            paths: state.localPaths, frontPort: port < 0 ? nil : port, environment: environment, logger: logger)
    }
}

/// `pipeline agent status`.
struct AgentStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Services, deployments, tasks and alarms of the running agent.")

    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let paths = state.localPaths
        guard AgentLauncher.runningPID(paths) != nil else {
            if json {
                print("{\"running\":false}")
            } else {
                print("no local agent is running for \(paths.root.path)")
            }
            throw ExitCode(1)
        }
        let response = try await AgentClient(socketPath: paths.socket).call(AgentRequest.status, timeout: 10)
        guard let status = response.status else { throw PipelineError(.io, "the agent returned no status") }
        if json {
            print(try Terminal.snakeCaseJSON(status))
            return
        }
        print(AgentStatusText.render(status))
    }
}

/// `pipeline agent stop`.
struct AgentStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop every task gracefully, then the agent (its desired state is kept).")

    @OptionGroup var state: StateOptions

    func run() async throws {
        let paths = state.localPaths
        guard let pid = AgentLauncher.runningPID(paths) else {
            print("no local agent is running for \(paths.root.path)")
            return
        }
        _ = try await AgentClient(socketPath: paths.socket).call(AgentRequest.stop, timeout: 10)
        let deadline = Date().addingTimeInterval(120)
        while AgentLauncher.runningPID(paths) != nil, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard AgentLauncher.runningPID(paths) == nil else {
            throw PipelineError(.timedOut, "the agent (pid \(pid)) is still stopping after 120s")
        }
        print("stopped the local agent (pid \(pid)) and its tasks")
    }
}

/// Timestamped lines on stderr for the agent's log.
struct AgentLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(Timestamp.seconds(Date())) \(event.level) \(event.message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
