import Foundation
import PipelineCore
import Synchronization

/// Shows a run's progress: on a terminal, one line per stage with a spinner and elapsed time, then ✓/✗
/// and the duration; otherwise plain timestamped lines. Silent in `--json` mode.
final class ProgressRenderer: RunObserver {
    enum Mode { case terminal, plain, silent }

    private struct State {
        var current: (id: String, start: ContinuousClock.Instant)?
        var frame = 0
        var lastLog: String?
    }

    private let mode: Mode
    private let showLogs: Bool
    private let state = Mutex(State())
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// `showLogs` prints every stage log line too (used by `--dry-run`, where the logs are the answer).
    init(mode: Mode, showLogs: Bool = false) {
        self.mode = mode
        self.showLogs = showLogs
    }

    func start() {
        guard mode == .terminal else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                self?.redraw()
            }
        }
        ticker.withLock { $0 = task }
    }

    func stop() {
        ticker.withLock {
            $0?.cancel()
            $0 = nil
        }
    }

    func event(_ event: RunEvent, record: RunRecord) {
        switch mode {
        case .silent: return
        case .plain: plain(event)
        case .terminal: terminal(event)
        }
    }

    func log(stage: String, line: String) {
        if showLogs, mode != .silent {
            let text = line.split(separator: " ", maxSplits: 2).dropFirst(2).first.map(String.init) ?? line
            let indented = text.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }
            Terminal.write((mode == .terminal ? "\r\u{1B}[2K" : "") + indented.joined(separator: "\n") + "\n")
            return
        }
        guard mode == .terminal else { return }
        state.withLock { $0.lastLog = line }
    }

    private func plain(_ event: RunEvent) {
        var line = "\(Terminal.timestamp(event.time)) "
        switch event.type {
        case .runStarted: line += "run \(event.run) started: \(event.message ?? "")"
        case .stageStarted: line += "stage \(event.stage ?? "") started (\(event.message ?? ""))"
        case .stageFinished:
            let took = event.durationMs.map { " in " + DurationFormat.format(.milliseconds($0)) } ?? ""
            line += "stage \(event.stage ?? "") \(event.status ?? "")\(took)"
            if let message = event.message { line += ": \(message)" }
        case .onFailureStarted: line += "running on_failure stages after '\(event.stage ?? "")' failed"
        case .cancelRequested: line += "cancel requested: \(event.message ?? "")"
        case .note: line += event.message ?? ""
        case .recoveryStarted: line += "recovering \(event.run): \(event.message ?? "")"
        case .runFinished: line += "run \(event.run) \(event.status ?? "")"
        case .stageWaiting: line += "stage \(event.stage ?? "") \(event.status ?? ""): \(event.message ?? "")"
        case .operatorRequest: line += "operator: \(event.message ?? "")"
        }
        Terminal.write(line + "\n")
    }

    private func terminal(_ event: RunEvent) {
        switch event.type {
        case .runStarted:
            Terminal.write("▶ \(event.run)  \(event.message ?? "")\n")
        case .stageStarted:
            state.withLock {
                $0.current = (event.stage ?? "", .now)
                $0.lastLog = nil
            }
            redraw()
        case .stageFinished:
            state.withLock { $0.current = nil }
            let ok = event.status == StageStatus.succeeded.rawValue
            let mark = ok ? "\u{1B}[32m✓\u{1B}[0m" : (event.status == "skipped" ? "-" : "\u{1B}[31m✗\u{1B}[0m")
            let took = event.durationMs.map { DurationFormat.format(.milliseconds($0)) } ?? ""
            var line = "\r\u{1B}[2K\(mark) \(event.stage ?? "")  \(took)"
            if !ok, let message = event.message { line += "  \(event.status ?? ""): \(message)" }
            Terminal.write(line + "\n")
        case .onFailureStarted:
            Terminal.write("↺ running on_failure stages\n")
        case .cancelRequested:
            Terminal.write("\r\u{1B}[2K! \(event.message ?? "cancelling")\n")
        case .note:
            Terminal.write("\r\u{1B}[2K· \(event.message ?? "")\n")
        case .recoveryStarted:
            Terminal.write("\r\u{1B}[2K↺ recovering \(event.run): \(event.message ?? "")\n")
        case .stageWaiting:
            Terminal.write("\r\u{1B}[2K⏸ \(event.stage ?? "") \(event.status ?? ""): \(event.message ?? "")\n")
        case .operatorRequest:
            Terminal.write("\r\u{1B}[2K· operator: \(event.message ?? "")\n")
        case .runFinished:
            break
        }
    }

    private func redraw() {
        // The terminal's width now (read every frame, so a resize — SIGWINCH — is followed at once): the
        // line must never wrap, or `\r` returns only to the last of its rows and copies are left behind.
        let columns = Terminal.columns
        let line: String? = state.withLock { state in
            guard let current = state.current else { return nil }
            state.frame += 1
            let elapsed = DurationFormat.format(ContinuousClock.now - current.start)
            let head = Self.fit(
                "\(Self.frames[state.frame % Self.frames.count]) \(current.id)  \(elapsed)", columns - 1)
            let room = columns - 1 - head.count - 2
            guard let log = state.lastLog, room >= 8 else { return head }
            return head + "  \u{1B}[2m\(Self.fit(Self.message(of: log), room))\u{1B}[0m"
        }
        if let line { Terminal.write("\r\u{1B}[2K\(line)") }
    }

    /// The message part of a stage log line (`2026-…Z INFO message` → `message`).
    static func message(of line: String) -> String {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasSuffix("Z"), parts[0].contains("T"),
            ["TRACE", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"].contains(String(parts[1]))
        else { return line }
        return String(parts[2])
    }

    /// At most `width` characters, cut with `…`.
    static func fit(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(max(width - 1, 0))) + "…"
    }
}
