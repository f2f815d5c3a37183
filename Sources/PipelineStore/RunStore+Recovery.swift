import Foundation
import PipelineCore

/// A commit whose run rolled back after a failure: `watch` does not deploy it again on its own, and
/// `pipeline run` needs `--force`.
package struct QuarantineMark: Sendable, Codable, Hashable {
    package var pipeline: String
    package var sha: String
    /// The run that rolled it back.
    package var runID: String
    package var reason: String
    package var at: Date

    package init(pipeline: String, sha: String, runID: String, reason: String, at: Date) {
        self.pipeline = pipeline
        self.sha = sha
        self.runID = runID
        self.reason = reason
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case pipeline, sha, reason, at
        case runID = "run_id"
    }
}

extension RunStore {
    func folder(of runID: String) throws -> String {
        guard let (pipeline, number) = Self.parse(runID: runID) else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id (expected PIPELINE-N, e.g. web-12)")
        }
        return runFolder(pipeline: pipeline, number: number)
    }

    /// Keeps the pipeline file a run was started from, so that another process can recover the run.
    package func savePipelineSource(_ text: String, runID: String) throws {
        try Posix.writeAtomically(Data(text.utf8), to: "\(try folder(of: runID))/pipeline.yml")
    }

    /// The pipeline file a run was started from.
    package func pipelineSource(runID: String) throws -> String? {
        guard let data = FileManager.default.contents(atPath: "\(try folder(of: runID))/pipeline.yml") else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Opens a run whose process died, to finish it: takes its owner lock (throws `.locked` when its
    /// process is alive) and returns a recorder that writes into the same folder and index slot.
    package func openForRecovery(runID: String) throws -> (recorder: DiskRecorder, record: RunRecord) {
        let folder = try folder(of: runID)
        let record = try load(runID: runID)
        guard let owner = try FileLock.tryLock("\(folder)/owner.lock") else {
            throw PipelineError(.locked, "run \(runID) is still running (pid \(record.pid), \(record.startedBy))")
        }
        var slot: Int?
        try index.scanNewestFirst { summary, at in
            if summary.id == runID { slot = at }
            return slot == nil
        }
        guard let slot else { throw PipelineError(.notFound, "run \(runID) is not in the index of \(root)") }
        return (try DiskRecorder(folder: folder, slot: slot, index: index, owner: owner), record)
    }

    static func quarantinePath(_ root: String, pipeline: String, sha: String) -> String {
        "\(root)/quarantine/\(pipeline)/\(sha)"
    }

    /// Marks a commit of a pipeline as rolled back.
    package func quarantine(_ mark: QuarantineMark) throws {
        let path = Self.quarantinePath(root, pipeline: mark.pipeline, sha: mark.sha)
        try Posix.makeDirectory((path as NSString).deletingLastPathComponent)
        try Posix.writeAtomically(try RunRecordCoding.encoder.encode(mark), to: path)
    }

    /// The mark of a commit, if it is quarantined.
    package func quarantined(pipeline: String, sha: String) -> QuarantineMark? {
        guard !sha.isEmpty, !pipeline.contains("/"), !sha.contains("/"),
            let data = FileManager.default.contents(atPath: Self.quarantinePath(root, pipeline: pipeline, sha: sha))
        else { return nil }
        return try? RunRecordCoding.decoder.decode(QuarantineMark.self, from: data)
    }

    /// Every quarantined commit of a pipeline (full shas).
    package func quarantinedCommits(pipeline: String) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/quarantine/\(pipeline)")) ?? []
        return Set(names.filter { !$0.hasPrefix(".") && !$0.contains(".tmp-") })
    }
}
