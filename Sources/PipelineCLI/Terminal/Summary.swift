import Foundation
import PipelineCore

/// Human-readable text for a finished run.
enum Summary {
    static func text(_ record: RunRecord) -> String {
        let took = record.durationMs.map { DurationFormat.format(.milliseconds($0)) } ?? "-"
        var lines = ["\(record.id) \(record.status.rawValue) in \(took)"]
        if let error = record.error, record.status != .succeeded { lines.append("  \(error)") }
        return lines.joined(separator: "\n")
    }

    static func details(_ record: RunRecord) -> String {
        var lines: [String] = []
        lines.append("run       \(record.id)")
        lines.append("status    \(record.status.rawValue)\(record.dryRun ? " (dry run)" : "")")
        lines.append("pipeline  \(record.pipeline) (\(record.pipelineFile))")
        let branch = record.commit.branch.map { " on \($0)" } ?? ""
        lines.append("commit    \(record.commit.sha)\(branch)")
        if !record.commit.author.isEmpty { lines.append("author    \(record.commit.author)") }
        if let first = record.commit.message.split(separator: "\n").first { lines.append("message   \(first)") }
        lines.append("trigger   \(record.trigger) by \(record.startedBy)")
        lines.append("started   \(Terminal.timestamp(record.startedAt))")
        if let ended = record.endedAt {
            let took = record.durationMs.map { " (\(DurationFormat.format(.milliseconds($0))))" } ?? ""
            lines.append("ended     \(Terminal.timestamp(ended))\(took)")
        }
        if let error = record.error { lines.append("error     \(error)") }
        lines.append("")
        var rows: [[String]] = []
        for stage in record.stages {
            let took = stage.durationMs.map { DurationFormat.format(.milliseconds($0)) } ?? "-"
            rows.append([
                stage.phase == "on_failure" ? "↺ \(stage.id)" : stage.id, stage.uses, stage.status.rawValue, took,
            ])
        }
        lines.append(Terminal.table(["STAGE", "USES", "STATUS", "DURATION"], rows))
        for stage in record.stages where !stage.outputs.isEmpty || stage.error != nil {
            lines.append("")
            lines.append("\(stage.id):")
            if let error = stage.error { lines.append("  error: \(error)") }
            for key in stage.outputs.keys.sorted() { lines.append("  \(key) = \(stage.outputs[key]!)") }
        }
        return lines.joined(separator: "\n")
    }
}
