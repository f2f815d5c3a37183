import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline status`: what a pipeline's target runs now — revision, deployments, canary, alarms — and
/// its last runs. Reads only (the target is made read-only; the local provider starts no agent).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a pipeline's target runs now: revision, deployments, canary, alarms, last runs.")

    @OptionGroup var chosen: PipelineArguments

    @Option(help: "How many recent runs to show.")
    var runs: Int = 5

    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Keep redrawing (a terminal) or printing (a pipe: a block, or a JSON line with --json, per change).")
    var watch = false

    @Option(help: "With --watch: how often to look.")
    var interval: String = "2s"

    func run() async throws {
        guard let every = DurationFormat.parse(interval), every >= .milliseconds(200) else {
            throw PipelineError(.invalidInput, "--interval: expected a duration of at least 200ms, got '\(interval)'")
        }
        let environment = ProcessInfo.processInfo.environment
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        let (source, definition) = try chosen.loadAtHead(registry, environment: environment)
        let store = try await state.openStore()
        let quiet = json
        let status = try await StatusLook.prepare(
            definition, source: source.tree, commit: source.commit, registry: registry, environment: environment,
            stateRoot: store.localRoot, note: { if !quiet { Terminal.note($0) } })
        let (main, canaryName) = (status.main, status.canary)
        let look = { try await status.report(store: store, runs: runs) }
        guard watch else {
            let report = try await look()
            print(json ? try Terminal.json(report) : report.text(main: main, canary: canaryName))
            return
        }
        let redraw = Terminal.stdoutIsTerminal && !json
        var last = ""
        while !Task.isCancelled {
            do {
                let report = try await look()
                if json {
                    let line = String(decoding: try RunRecordCoding.lineEncoder.encode(report), as: UTF8.self)
                    Terminal.write(line + "\n")
                } else {
                    let text = report.text(main: main, canary: canaryName)
                    // Unchanged but for the clock on the first line: nothing new to print in a pipe.
                    let body = text.split(separator: "\n", maxSplits: 1).dropFirst().joined()
                    if redraw {
                        Terminal.write("\u{1B}[H\u{1B}[2J" + text + "\n")
                    } else if body != last {
                        Terminal.write(text + "\n\n")
                    }
                    last = body
                }
            } catch {
                Terminal.error("status: \(error)")
            }
            try await Task.sleep(for: every)
        }
    }
}
