import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The engine's state under `s3://BUCKET/PREFIX`, shared by every machine that names it: run records,
/// journals (events and logs), artifacts, the run index, target locks and watch leases (conditional
/// writes with leases), quarantine marks and watch cursors. docs/state.md has the layout.
package struct S3StateStore: StateStore {
    let s3: S3
    let layout: S3Layout
    package let location: String
    package let localRoot: String
    /// How long a lock outlives its holder's last renewal.
    package let ttl: Duration

    /// `s3://bucket/prefix` → (bucket, prefix); nil for anything else.
    package static func parse(_ url: String) -> (bucket: String, prefix: String)? {
        guard url.hasPrefix("s3://") else { return nil }
        let rest = url.dropFirst(5)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, !bucket.isEmpty else { return nil }
        return (String(bucket), parts.count > 1 ? String(parts[1]) : "")
    }

    /// A store at `s3://bucket/prefix`, signed with the credential chain of `environment`, in its region
    /// (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile; else us-east-1) and endpoint (`AWS_ENDPOINT_URL_S3`).
    package init(url: String, environment: [String: String], localRoot: String, ttl: Duration) throws {
        guard let (bucket, prefix) = Self.parse(url) else {
            throw PipelineError(.invalidInput, "state '\(url)' is not s3://BUCKET/PREFIX")
        }
        let valid =
            bucket.count >= 3 && bucket.count <= 63
            && bucket.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }
        guard valid else {
            throw PipelineError(.invalidInput, "state \(url): '\(bucket)' is not a valid S3 bucket name")
        }
        guard ttl >= .seconds(3) else {
            throw PipelineError(.invalidInput, "the lease TTL must be at least 3s (got \(DurationFormat.format(ttl)))")
        }
        let region = AWSConfiguration.resolveRegion(pipelineRegion: nil, environment: environment) ?? "us-east-1"
        let client = AWSClient.standard(region: region, environment: environment)
        self.s3 = S3(client: client, bucket: bucket)
        self.layout = S3Layout(prefix: prefix)
        self.location = "s3://\(bucket)/\(layout.prefix)"
        self.localRoot = localRoot
        self.ttl = ttl
    }

    var objects: StateObjects { StateObjects(s3: s3, layout: layout) }

    /// The AWS client's call count (for benchmarks).
    package var callCount: Int { s3.client.callCount.calls }

    /// Checks that the bucket answers, so a bad bucket or credentials stop a command before it starts.
    package func check() async throws {
        do { try await s3.checkBucket() } catch let error as AWSError {
            let hint = error.status == 404 ? "no such bucket" : error.description
            throw PipelineError(.invalidInput, "state \(location): \(hint)")
        }
    }

    // MARK: Runs

    package func startRun(
        pipeline: Pipeline, trigger: String, commit: CommitInfo, repository: String?, dryRun: Bool, status: RunStatus
    ) async throws -> (recorder: any RunRecorder, record: RunRecord) {
        let counterKey = layout.counter(pipeline.name)
        let (last, counter) = try await objects.counter(pipeline.name)
        var number = last
        for _ in 0..<10_000 {
            number += 1
            var record = RunRecord(
                id: "\(pipeline.name)-\(number)", number: number, pipeline: pipeline, trigger: trigger, commit: commit,
                repository: repository, startedBy: RunStore.identity, pid: getpid(),
                workingDirectory: FileManager.default.currentDirectoryPath, startedAt: Date(), dryRun: dryRun)
            record.status = status
            let etag: String
            do {
                etag = try await s3.put(
                    layout.runRecord(record.id), try StateCoding.encoder.encode(record), condition: .absent,
                    contentType: "application/json")
            } catch  where S3.isConditionFailure(error) {
                continue  // another process has this number
            }
            // The counter only saves the next run a walk over taken numbers; losing this race is harmless.
            _ = try? await s3.put(
                counterKey, Data("\(number)\n".utf8), condition: counter.map { .matches($0.etag) } ?? .absent)
            let summary = RunSummary(record)
            try await objects.putIndex(summary)
            let recorder = S3Recorder(
                s3: s3, layout: layout, runID: record.id, etag: etag, summary: summary, nextChunk: 1)
            return (recorder, record)
        }
        throw PipelineError(.io, "could not claim a run number for \(pipeline.name) in \(location)")
    }

    private func read(_ runID: String) async throws -> (record: RunRecord, etag: String) {
        guard RunStore.parse(runID: runID) != nil else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id (expected PIPELINE-N, e.g. web-12)")
        }
        let key = layout.runRecord(runID)
        guard let object = try await s3.get(key) else {
            throw PipelineError(.notFound, "no run \(runID) in \(location)")
        }
        do {
            return (try StateCoding.decoder.decode(RunRecord.self, from: object.data), object.etag)
        } catch {
            throw PipelineError(
                .corruptRecord,
                "run record s3://\(s3.bucket)/\(key) is corrupt and cannot be read: \(RunRecordCoding.describe(error))")
        }
    }

    /// Whether the process of a `running` run still holds its target: the target's lock has not lapsed
    /// and names the run, or is held by the run's own process (user@host and pid), or is held by a
    /// process that has not named its run yet (it just took the lock to start or recover one).
    func isAlive(_ record: RunRecord) async -> Bool {
        guard let object = try? await s3.get(layout.lock(record.target.lockKey)),
            let lock = try? StateCoding.decoder.decode(LeaseDocument.self, from: object.data),
            !lock.isFree(at: Date())
        else { return false }
        return lock.run == record.id || lock.run == nil
            || (lock.holder.host == record.startedBy && lock.holder.pid == record.pid)
    }

    package func load(runID: String) async throws -> RunRecord {
        let (record, etag) = try await read(runID)
        guard record.status == .running, !(await isAlive(record)) else { return record }
        let repaired = record.abandoned(owner: "pid \(record.pid), \(record.startedBy)")
        do {
            try await s3.put(
                layout.runRecord(runID), try StateCoding.encoder.encode(repaired), condition: .matches(etag),
                contentType: "application/json")
            try? await objects.putIndex(RunSummary(repaired))
        } catch  where S3.isConditionFailure(error) {
            return try await read(runID).record  // its owner (or a recovery) wrote meanwhile
        }
        return repaired
    }

    package func reopenForRecovery(runID: String) async throws -> (recorder: any RunRecorder, record: RunRecord) {
        // The caller holds the run's target lock (taken after the run's own lease lapsed): the run's
        // process cannot be changing the target any more, whatever the record still says.
        let (record, etag) = try await read(runID)
        let chunks = try await s3.list(prefix: layout.journalPrefix(runID)).entries
        let last = chunks.compactMap { Int($0.key.split(separator: "/").last?.split(separator: ".").first ?? "") }.max()
        let recorder = S3Recorder(
            s3: s3, layout: layout, runID: runID, etag: etag, summary: RunSummary(record), nextChunk: (last ?? 0) + 1)
        return (recorder, record)
    }

    package func list(
        pipeline: String?, status: RunStatus?, branch: String?, trigger: String?, limit: Int, includeDryRuns: Bool
    ) async throws -> [RunSummary] {
        var out: [RunSummary] = []
        guard limit > 0 else { return out }
        let filtered = pipeline != nil || status != nil || branch != nil || trigger != nil || !includeDryRuns
        var startAfter: String?
        while out.count < limit {
            let want = filtered ? 200 : limit - out.count
            let page = try await s3.list(prefix: layout.indexPrefix, startAfter: startAfter, limit: want).entries
            let summaries = try await fetchAll(page.map(\.key)) { data in
                try? StateCoding.decoder.decode(RunSummary.self, from: data)
            }
            for case var summary? in summaries {
                if let pipeline, summary.pipeline != pipeline { continue }
                if let branch, summary.branch != branch { continue }
                if let trigger, summary.trigger != trigger { continue }
                if !includeDryRuns, summary.dryRun == true { continue }
                if summary.status == .running, let record = try? await load(runID: summary.id) {
                    summary.status = record.status
                }
                if let status, summary.status != status { continue }
                out.append(summary)
                if out.count == limit { break }
            }
            guard page.count == want, let last = page.last else { break }
            startAfter = last.key
        }
        return out
    }

    /// GETs keys concurrently (at most 16 at a time) and returns what `decode` made of each, in order.
    func fetchAll<T: Sendable>(_ keys: [String], decode: @escaping @Sendable (Data) -> T?) async throws -> [T?] {
        var results = [T?](repeating: nil, count: keys.count)
        try await withThrowingTaskGroup(of: (Int, T?).self) { group in
            var next = 0
            func add() {
                let (i, key, s3) = (next, keys[next], self.s3)
                group.addTask { (i, try await s3.get(key).flatMap { decode($0.data) }) }
                next += 1
            }
            while next < min(16, keys.count) { add() }
            while let (i, value) = try await group.next() {
                results[i] = value
                if next < keys.count { add() }
            }
        }
        return results
    }

    package func pipelinesWithRuns() async throws -> [String] {
        let listing = try await s3.list(prefix: layout.runsPrefix, delimiter: "/")
        return listing.prefixes.map { String($0.dropFirst(layout.runsPrefix.count).dropLast()) }.sorted()
    }

    /// Every line of a run's journal, in order.
    func journal(_ runID: String) async throws -> [JournalLine] {
        guard RunStore.parse(runID: runID) != nil else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id")
        }
        let chunks = try await s3.list(prefix: layout.journalPrefix(runID)).entries.map(\.key).sorted()
        let decoded = try await fetchAll(chunks) { data -> [JournalLine]? in
            data.split(separator: UInt8(ascii: "\n")).compactMap {
                try? StateCoding.decoder.decode(JournalLine.self, from: $0)
            }
        }
        return decoded.flatMap { $0 ?? [] }
    }

    package func events(runID: String) async throws -> [RunEvent] {
        try await journal(runID).compactMap(\.event)
    }

    package func logContents(runID: String, stage: String) async throws -> Data? {
        let lines = try await journal(runID).filter { $0.stage == stage }.compactMap(\.line)
        return lines.isEmpty ? nil : Data(lines.map { $0 + "\n" }.joined().utf8)
    }

    package func savePipelineSource(_ text: String, runID: String) async throws {
        try await s3.put(layout.pipelineSource(runID), Data(text.utf8), contentType: "application/yaml")
    }

    package func pipelineSource(runID: String) async throws -> String? {
        try await s3.get(layout.pipelineSource(runID)).map { String(decoding: $0.data, as: UTF8.self) }
    }

    // MARK: Quarantine

    package func quarantine(_ mark: QuarantineMark) async throws {
        try await s3.put(
            layout.quarantine(mark.pipeline, mark.sha), try StateCoding.encoder.encode(mark),
            contentType: "application/json")
    }

    package func quarantined(pipeline: String, sha: String) async -> QuarantineMark? {
        guard !sha.isEmpty, !pipeline.contains("/"), !sha.contains("/"),
            let object = try? await s3.get(layout.quarantine(pipeline, sha))
        else { return nil }
        return try? StateCoding.decoder.decode(QuarantineMark.self, from: object.data)
    }

    package func quarantinedCommits(pipeline: String) async -> Set<String> {
        let prefix = layout.quarantinePrefix(pipeline)
        let entries = (try? await s3.list(prefix: prefix).entries) ?? []
        return Set(entries.map { String($0.key.dropFirst(prefix.count).dropLast(".json".count)) })
    }

    // MARK: Locks and leases

    package func tryLock(key: String, holder: LeaseHolder) async throws -> (any TargetLease)? {
        try await S3Lease.take(key: key, s3: s3, objectKey: layout.lock(key), holder: holder, ttl: ttl)
    }

    package func lockHolder(key: String) async -> String? {
        await S3Lease.holder(s3: s3, objectKey: layout.lock(key))
    }

    package func abandonedTargets() async -> [(key: String, runID: String)] {
        guard let entries = try? await s3.list(prefix: layout.locksPrefix).entries else { return [] }
        let keys = entries.map(\.key)
        let documents =
            (try? await fetchAll(keys) { try? StateCoding.decoder.decode(LeaseDocument.self, from: $0) }) ?? []
        let now = Date()
        return zip(keys, documents).compactMap { key, document in
            guard let document, let active = document.active, document.isFree(at: now) else { return nil }
            return (String(key.dropFirst(layout.locksPrefix.count).dropLast(".json".count)), active)
        }
    }

    package func tryLease(_ name: String, holder: LeaseHolder) async throws -> (any Lease)? {
        try await S3Lease.take(key: name, s3: s3, objectKey: layout.lease(name), holder: holder, ttl: ttl)
    }

    package func cursors(repositoryKey: String) async throws -> any CursorStorage {
        S3Cursors(s3: s3, key: layout.cursors(repositoryKey))
    }
}

/// Watch's cursors of one repository in one object, changed with `If-Match` (re-read and re-applied
/// when another replica wrote first).
struct S3Cursors: CursorStorage {
    let s3: S3
    let key: String

    func load() async throws -> Cursors {
        guard let object = try await s3.get(key) else { return Cursors() }
        do { return try JSONDecoder().decode(Cursors.self, from: object.data) } catch {
            throw PipelineError(.corruptRecord, "watch cursors s3://\(s3.bucket)/\(key) are corrupt: \(error)")
        }
    }

    private func update(_ change: (inout Cursors) -> Void) async throws {
        for _ in 0..<50 {
            let object = try await s3.get(key)
            var cursors = try object.map { try JSONDecoder().decode(Cursors.self, from: $0.data) } ?? Cursors()
            change(&cursors)
            let data = try JSONEncoder.sortedPretty.encode(cursors)
            do {
                try await s3.put(
                    key, data, condition: object.map { .matches($0.etag) } ?? .absent, contentType: "application/json")
                return
            } catch  where S3.isConditionFailure(error) {
                try await Task.sleep(for: .milliseconds(Int.random(in: 10...100)))
            }
        }
        throw PipelineError(.io, "watch cursors s3://\(s3.bucket)/\(key) keep changing under this process")
    }

    func setBranch(_ branch: String, head: String) async throws { try await update { $0.branches[branch] = head } }

    func setPipeline(_ key: String, commit: String) async throws { try await update { $0.pipelines[key] = commit } }
}

extension JSONEncoder {
    static var sortedPretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
