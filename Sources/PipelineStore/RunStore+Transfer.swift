import Foundation
import PipelineCore

extension RunStore: StateTransfer {
    package func exportRun(_ runID: String) async throws -> RunBundle {
        let folder = try folder(of: runID) + "/artifacts"
        var artifacts: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where !name.hasPrefix(".") && !name.contains(".tmp-") {
            artifacts[name] = FileManager.default.contents(atPath: "\(folder)/\(name)")
        }
        return try await bundle(runID, artifacts: artifacts)
    }

    package func importRun(_ bundle: RunBundle) async throws -> Bool {
        let record = bundle.record
        let storeLock = try FileLock.lock("\(root)/index/store.lock")
        defer { _ = storeLock }
        try Posix.makeDirectory("\(root)/runs/\(record.pipeline)")
        let folder = runFolder(pipeline: record.pipeline, number: record.number)
        guard !FileManager.default.fileExists(atPath: folder) else { return false }
        for sub in [folder, "\(folder)/logs", "\(folder)/artifacts"] { try Posix.makeDirectory(sub) }
        var events = Data()
        for event in bundle.events {
            events.append(try EventLog.encoder.encode(event))
            events.append(UInt8(ascii: "\n"))
        }
        try Posix.writeAtomically(events, to: "\(folder)/events.jsonl")
        for (stage, log) in bundle.logs {
            try Posix.writeAtomically(log, to: "\(folder)/logs/\(LogFiles.fileName(stage))")
        }
        for (name, data) in bundle.artifacts { try ArtifactFolder(path: "\(folder)/artifacts").save(name, data: data) }
        if let text = bundle.pipelineSource {
            try Posix.writeAtomically(Data(text.utf8), to: "\(folder)/pipeline.yml")
        }
        try Posix.writeAtomically(try RunRecordCoding.encoder.encode(record), to: "\(folder)/run.json")
        if record.number > lastNumber(pipeline: record.pipeline) {
            try Posix.writeAtomically(
                Data("\(record.number)\n".utf8), to: "\(root)/runs/\(record.pipeline)/last-number")
        }
        try index.write(RunSummary(record), slot: try index.nextSlot())
        return true
    }

    package func allCursors() async throws -> [String: Cursors] {
        let folder = "\(root)/watch"
        var out: [String: Cursors] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasSuffix(".json") && !name.contains(".tmp-") {
            let key = String(name.dropLast(5))
            out[key] = try CursorStore(store: self, repositoryKey: key).load()
        }
        return out
    }

    package func importCursors(_ cursors: Cursors, key: String) async throws {
        try CursorStore(store: self, repositoryKey: key).save(cursors)
    }
}
