import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore

extension S3StateStore: StateTransfer {
    package func exportRun(_ runID: String) async throws -> RunBundle {
        let prefix = layout.runFolder(runID) + "artifacts/"
        let keys = try await s3.list(prefix: prefix).entries.map(\.key)
        let blobs = try await fetchAll(keys) { $0 }
        var artifacts: [String: Data] = [:]
        for (key, data) in zip(keys, blobs) { artifacts[String(key.dropFirst(prefix.count))] = data }
        return try await bundle(runID, artifacts: artifacts)
    }

    /// Writes a finished run's record and index entry as they are (imports; benchmarks fill a bucket
    /// with it).
    package func writeFinished(_ record: RunRecord) async throws {
        try await s3.put(
            layout.runRecord(record.id), try StateCoding.encoder.encode(record), contentType: "application/json")
        try await objects.putIndex(RunSummary(record))
    }

    package func importRun(_ bundle: RunBundle) async throws -> Bool {
        let record = bundle.record
        do {
            try await s3.put(
                layout.runRecord(record.id), try StateCoding.encoder.encode(record), condition: .absent,
                contentType: "application/json")
        } catch  where S3.isConditionFailure(error) {
            return false
        }
        let lines =
            bundle.events.map { JournalLine(event: $0) }
            + bundle.logs.keys.sorted().flatMap { stage in
                String(decoding: bundle.logs[stage]!, as: UTF8.self).split(
                    separator: "\n", omittingEmptySubsequences: false
                ).dropLast().map { JournalLine(stage: stage, line: String($0)) }
            }
        if !lines.isEmpty { try await s3.put(layout.journalChunk(record.id, 1), try StateObjects.journal(lines)) }
        for (name, data) in bundle.artifacts { try await s3.put(layout.artifact(record.id, name), data) }
        if let text = bundle.pipelineSource { try await savePipelineSource(text, runID: record.id) }
        try await objects.putIndex(RunSummary(record))
        // The counter never goes back: raise it to this number unless it is higher already.
        let counterKey = layout.counter(record.pipeline)
        for _ in 0..<20 {
            let (last, counter) = try await objects.counter(record.pipeline)
            guard record.number > last else { break }
            do {
                try await s3.put(
                    counterKey, Data("\(record.number)\n".utf8),
                    condition: counter.map { .matches($0.etag) } ?? .absent)
                break
            } catch  where S3.isConditionFailure(error) {
                continue
            }
        }
        return true
    }

    package func allCursors() async throws -> [String: Cursors] {
        let keys = try await s3.list(prefix: layout.watchPrefix).entries.map(\.key).filter {
            $0.hasSuffix("/cursors.json")
        }
        var out: [String: Cursors] = [:]
        for key in keys {
            let name = String(key.dropFirst(layout.watchPrefix.count).dropLast("/cursors.json".count))
            out[name] = try await S3Cursors(s3: s3, key: key).load()
        }
        return out
    }

    package func importCursors(_ cursors: Cursors, key: String) async throws {
        try await s3.put(
            layout.cursorsOf(file: key), try JSONEncoder.sortedPretty.encode(cursors), contentType: "application/json")
    }
}
