import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// What `approve`, `reject`, `abort` and `skip-bake` share: the run, a comment, the state, how long to
/// wait for the run's process to answer.
struct OperatorOptions: ParsableArguments {
    @Argument(help: "The run (e.g. web-12).")
    var runID: String

    @Option(help: "Recorded with the request (and shown in notifications).")
    var comment: String?

    @Option(name: .customLong("answer-timeout"), help: "How long to wait for the run's process to answer.")
    var answerTimeout: String = "30s"

    @OptionGroup var state: StateOptions

    /// Records the request for the run's process (which may be on another machine) and waits for its
    /// answer. Exit 0: taken; 1: ignored, or no answer in time; 2: no such run, or it cannot take it.
    func send(_ kind: OperatorRequest.Kind) async throws {
        guard let limit = DurationFormat.parse(answerTimeout) else {
            throw PipelineError(.invalidInput, "--answer-timeout '\(answerTimeout)' is not a duration (e.g. 30s)")
        }
        let environment = ProcessInfo.processInfo.environment
        let store = try await state.openStore()
        let record = try await store.load(runID: runID)
        guard !record.status.isFinal else {
            throw PipelineError(
                .invalidInput, "\(runID) has ended (\(record.status.rawValue)): nothing to \(kind.rawValue)")
        }
        if kind == .approve || kind == .reject, !record.stages.contains(where: { $0.status == .waiting }) {
            let running = record.stages.first { $0.status == .running }.map { " (stage '\($0.id)' is running)" } ?? ""
            throw PipelineError(.invalidInput, "no stage of \(runID) is waiting for approval\(running)")
        }
        let request = OperatorRequest(
            kind: kind, by: OperatorRequest.actor(environment: environment), from: RunExecutor.who,
            comment: comment.flatMap { $0.isEmpty ? nil : $0 })
        try await store.postRequest(request, runID: runID)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let answer = try await store.events(runID: runID).last(where: { $0.request?.id == request.id }) {
                Terminal.write("\(runID): \(answer.message ?? request.summary)\n")
                if answer.status != OperatorAnswer.taken.rawValue { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: store.requestPollInterval)
        }
        Terminal.error(
            "\(runID): the request is recorded, but the run's process did not answer in \(DurationFormat.format(limit)) (pid \(record.pid) on \(record.startedBy): is it alive?)"
        )
        throw ExitCode(1)
    }
}

/// `pipeline approve RUN_ID`: lets a waiting `approval` stage go on.
struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a run's waiting approval stage (from any machine sharing the state).",
        discussion:
            "Exit codes: 0 taken; 1 ignored (e.g. not an approver) or no answer; 2 no such run or nothing waits.")
    @OptionGroup var options: OperatorOptions
    func run() async throws { try await options.send(.approve) }
}

/// `pipeline reject RUN_ID`: fails a waiting `approval` stage; the run's `on_failure` runs.
struct RejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a run's waiting approval stage: its on_failure runs.",
        discussion:
            "Exit codes: 0 taken; 1 ignored (e.g. not an approver) or no answer; 2 no such run or nothing waits.")
    @OptionGroup var options: OperatorOptions
    func run() async throws { try await options.send(.reject) }
}

/// `pipeline abort RUN_ID`: cancels a running run from another process; its `on_failure` runs as on Ctrl-C.
struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Abort a running run from anywhere: its on_failure runs, as on Ctrl-C.",
        discussion: "Exit codes: 0 taken; 1 ignored or no answer; 2 no such run or it has ended.")
    @OptionGroup var options: OperatorOptions
    func run() async throws { try await options.send(.abort) }
}

/// `pipeline skip-bake RUN_ID`: ends the current bake early.
struct SkipBakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skip-bake", abstract: "End the bake a run is in now (alarm-watch, traffic steps) early.",
        discussion: "Exit codes: 0 taken; 1 ignored (no stage is baking) or no answer; 2 no such run or it has ended.")
    @OptionGroup var options: OperatorOptions
    func run() async throws { try await options.send(.skipBake) }
}
