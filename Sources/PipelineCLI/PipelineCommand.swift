import ArgumentParser
import Foundation
import PipelineCore

/// The `pipeline` command line. Custom builds call `PipelineCommand.main(stages:)` with their own stages.
public struct PipelineCommand: AsyncParsableCommand {
    /// The version printed by `pipeline --version`.
    public static let version = "0.1.0"

    /// The command tree: `run`, `watch`, `runs`, `show`, `logs`, `validate`, `stages`, `agent`, `recover`.
    public static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Deploy services to AWS ECS (or this machine) from git commits, one stage at a time.",
        discussion: """
            Exit codes: 0 succeeded; 1 the run failed or rolled back; 2 invalid input; 3 target locked (--no-wait).
            """,
        version: version,
        subcommands: [
            RunCommand.self, WatchCommand.self, RunsCommand.self, ShowCommand.self, LogsCommand.self,
            ValidateCommand.self,
            StagesCommand.self, AgentCommand.self, RecoverCommand.self, StatusCommand.self, RollbackCommand.self,
            StateCommand.self, ApproveCommand.self, RejectCommand.self, AbortCommand.self, SkipBakeCommand.self,
            ServeCommand.self,
        ]
    )

    /// Creates the root command (argument-parser calls this).
    public init() {}

    /// Runs the command line with extra Swift stages and deployment providers beside the built-in ones:
    /// how a custom `pipeline` binary is built.
    public static func main(stages: [any Stage.Type] = [], providers: [any DeploymentProvider.Type] = []) async {
        await Catalog.$additions.withValue(Catalog.Additions(stages: stages, providers: providers)) {
            await runMain(Array(CommandLine.arguments.dropFirst()))
        }
    }

    /// Parses and runs, mapping every failure to the documented exit codes.
    static func runMain(_ arguments: [String]) async {
        // A closed stdout (`pipeline run web | head -1`) must never stop a deployment half-way:
        // writes fail with EPIPE instead, and the run goes on.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withMappedError: error)
        }
        Foundation.exit(0)
    }

    static func exit(withMappedError error: any Error) -> Never {
        switch error {
        case let e as PipelineError:
            Terminal.error(e.description)
            Foundation.exit(Self.exitCode(for: e))
        case let e as ExitCode:
            Foundation.exit(e.rawValue)
        default:
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            // ArgumentParser's message already starts with "Error: "; say it once, as every other error does.
            let text = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
            if !text.isEmpty { Terminal.error(text) }
            // Bad flags and arguments are invalid input: exit 2, as documented.
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    static func exitCode(for error: PipelineError) -> Int32 {
        if error.code == .locked { return 3 }
        return error.isUserInputError ? 2 : 1
    }
}
