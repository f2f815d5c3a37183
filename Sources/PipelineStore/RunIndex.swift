import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One run as listed: the fields `pipeline runs` shows, kept in the index.
package struct RunSummary: Sendable, Codable, Hashable {
    package var id: String
    package var pipeline: String
    package var number: Int
    package var status: RunStatus
    package var trigger: String
    package var sha: String
    package var branch: String?
    package var startedAt: Date
    package var endedAt: Date?
    package var durationMs: Int64?
    package var dryRun: Bool?
    /// Set by `pipeline runs` when the run's commit is quarantined (never stored in the index).
    package var quarantined: Bool?

    enum CodingKeys: String, CodingKey {
        case id, pipeline, number, status, trigger, sha, branch, quarantined
        case dryRun = "dry_run"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMs = "duration_ms"
    }

    /// The summary of a run record.
    package init(_ record: RunRecord) {
        id = record.id
        pipeline = record.pipeline
        number = record.number
        status = record.status
        trigger = record.trigger
        // The full sha, as everywhere in JSON; the branch is cut to keep the slot within its 512 bytes.
        sha = record.commit.sha
        branch = record.commit.branch.map { String($0.prefix(64)) }
        startedAt = record.startedAt
        endedAt = record.endedAt
        durationMs = record.durationMs
        dryRun = record.dryRun ? true : nil
    }
}

/// The run index: one fixed-size slot per run in start order, so the newest runs are read from the
/// end of the file without scanning every run folder. A slot is rewritten in place when its run ends.
package struct RunIndex: Sendable {
    static let slotSize = 512
    /// The index file.
    package let path: String

    /// The index of a store.
    package init(store: RunStore) { path = "\(store.root)/index/runs.idx" }

    init(path: String) { self.path = path }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .millisecondsSince1970
        e.outputFormatting = .sortedKeys
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        return d
    }()

    /// The slot a new run gets; call while holding the store lock.
    func nextSlot() throws -> Int {
        let fd = try Posix.open(path, O_RDWR | O_CREAT)
        defer { close(fd) }
        return Posix.fileSize(fd) / Self.slotSize
    }

    /// Writes (or rewrites) a run's slot.
    package func write(_ summary: RunSummary, slot: Int) throws {
        var data = try Self.encoder.encode(summary)
        guard data.count < Self.slotSize else {
            throw PipelineError(.io, "index entry for \(summary.id) is too large")
        }
        data.append(Data(repeating: UInt8(ascii: " "), count: Self.slotSize - 1 - data.count))
        data.append(UInt8(ascii: "\n"))
        let fd = try Posix.open(path, O_RDWR | O_CREAT)
        defer { close(fd) }
        try Posix.pwriteAll(fd, data, at: slot * Self.slotSize, path: path)
    }

    /// Reads slots newest first, calling `visit` for each decodable one until it returns false.
    func scanNewestFirst(_ visit: (RunSummary, Int) -> Bool) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let fd = try Posix.open(path, O_RDONLY)
        defer { close(fd) }
        let count = Posix.fileSize(fd) / Self.slotSize
        var end = count
        let chunk = 256
        while end > 0 {
            let start = max(0, end - chunk)
            let data = Posix.pread(fd, count: (end - start) * Self.slotSize, at: start * Self.slotSize)
            var slot = end - 1
            while slot >= start {
                let offset = (slot - start) * Self.slotSize
                if offset + Self.slotSize <= data.count {
                    let bytes = data[data.startIndex + offset..<data.startIndex + offset + Self.slotSize]
                    if let summary = try? Self.decoder.decode(RunSummary.self, from: bytes) {
                        if !visit(summary, slot) { return }
                    }
                }
                slot -= 1
            }
            end = start
        }
    }
}
