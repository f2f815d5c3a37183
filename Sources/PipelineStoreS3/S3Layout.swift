import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore

/// Where each thing lives under a state's prefix (docs/state.md shows the same tree).
struct S3Layout: Sendable {
    /// `""` or `team/web/` (always ending in `/` when not empty).
    let prefix: String

    init(prefix: String) {
        var p = prefix
        while p.hasPrefix("/") { p.removeFirst() }
        if !p.isEmpty, !p.hasSuffix("/") { p += "/" }
        self.prefix = p
    }

    func runFolder(_ runID: String) -> String {
        let (pipeline, number) = RunStore.parse(runID: runID) ?? (runID, 0)
        return "\(prefix)runs/\(pipeline)/\(number)/"
    }

    var runsPrefix: String { "\(prefix)runs/" }
    func runRecord(_ runID: String) -> String { runFolder(runID) + "run.json" }
    func pipelineSource(_ runID: String) -> String { runFolder(runID) + "pipeline.yml" }
    func journalPrefix(_ runID: String) -> String { runFolder(runID) + "journal/" }
    func journalChunk(_ runID: String, _ n: Int) -> String {
        journalPrefix(runID) + String(repeating: "0", count: max(0, 8 - String(n).count)) + "\(n).jsonl"
    }
    func artifact(_ runID: String, _ name: String) -> String { runFolder(runID) + "artifacts/\(name)" }
    func requestsPrefix(_ runID: String) -> String { runFolder(runID) + "requests/" }
    func request(_ runID: String, _ request: OperatorRequest) -> String {
        requestsPrefix(runID) + "\(Timestamp.milliseconds(request.at))-\(StoreNames.safe(request.id)).json"
    }
    /// The last run number given out for a pipeline (a hint: `run.json` created with `If-None-Match` is the claim).
    func counter(_ pipeline: String) -> String { "\(prefix)runs/\(pipeline)/last-number" }

    var indexPrefix: String { "\(prefix)index/" }
    /// Newest first in key order: 13 digits of (10^13 − 1 − start time in ms), then the run id. The
    /// time is taken as the record writes it (milliseconds), so that the run's own summary and one read
    /// back from run.json name the same entry.
    func indexEntry(_ summary: RunSummary) -> String {
        let ms = max(0, min(9_999_999_999_999, Timestamp.milliseconds(summary.startedAt)))
        let inverted = String(9_999_999_999_999 - ms)
        return indexPrefix + String(repeating: "0", count: 13 - inverted.count) + inverted + "_" + summary.id + ".json"
    }

    var locksPrefix: String { "\(prefix)locks/" }
    func lock(_ key: String) -> String { locksPrefix + StoreNames.safe(key) + ".json" }
    func quarantinePrefix(_ pipeline: String) -> String { "\(prefix)quarantine/\(pipeline)/" }
    func quarantine(_ pipeline: String, _ sha: String) -> String { quarantinePrefix(pipeline) + "\(sha).json" }
    func cursors(_ repositoryKey: String) -> String { cursorsOf(file: cursorFileName(repositoryKey)) }
    /// The cursors object of a repository key in its file-name form.
    func cursorsOf(file name: String) -> String { "\(prefix)watch/\(name)/cursors.json" }
    var watchPrefix: String { "\(prefix)watch/" }
    func lease(_ name: String) -> String { "\(prefix)watch/leases/\(StoreNames.safe(name)).json" }
}

/// JSON as the state is written: the run store's record format, its compact lines for journals.
enum StateCoding {
    static let encoder = RunRecordCoding.encoder
    static let decoder = RunRecordCoding.decoder
    static let lineEncoder = RunRecordCoding.lineEncoder
}

/// The writes and reads of state objects more than one place makes.
struct StateObjects: Sendable {
    let s3: S3
    let layout: S3Layout

    /// Writes (or rewrites) a run's index entry.
    func putIndex(_ summary: RunSummary) async throws {
        try await s3.put(
            layout.indexEntry(summary), try StateCoding.encoder.encode(summary), contentType: "application/json")
    }

    /// A pipeline's last-number counter (0 when missing) and the object it was read from.
    func counter(_ pipeline: String) async throws -> (number: Int, object: S3.Object?) {
        let object = try await s3.get(layout.counter(pipeline))
        return (object.flatMap { Int(String(decoding: $0.data, as: UTF8.self).trimmed) } ?? 0, object)
    }

    /// Journal lines as one chunk's bytes.
    static func journal(_ lines: [JournalLine]) throws -> Data {
        var data = Data()
        for line in lines {
            data.append(try StateCoding.lineEncoder.encode(line))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }
}
