import Foundation
import PipelineAWS
import PipelineCore
import PipelineStore
import Synchronization

/// The object behind a lock in S3 (`locks/<target>.json`, `watch/<repo>/leases/<name>.json`).
struct LeaseDocument: Codable, Sendable {
    /// Who holds it (or held it last).
    var holder: LeaseHolder
    /// The run using it (shown to waiters; a `running` run not named here is not alive).
    var run: String?
    /// The run changing the target: set before its first stage, cleared when it ends. Kept when the
    /// lease is released or lapses, so the next holder recovers that run.
    var active: String?
    /// Grows by one with every new holder: a write stamped with an older token is from a past holder.
    var token: Int
    /// When the lease lapses unless renewed (the holder's clock).
    var expiresAt: Date
    /// Set when the holder gave it up.
    var released: Bool

    enum CodingKeys: String, CodingKey {
        case holder, run, active, token, released
        case expiresAt = "expires_at"
    }

    func isFree(at now: Date) -> Bool { released || expiresAt <= now }
}

/// A lease held in S3: created with `If-None-Match: *`, or taken over from a lapsed holder with
/// `If-Match` on the ETag read; renewed by a heartbeat every third of its TTL with `If-Match` on the
/// ETag of the last write. Any failed condition means another process has it now: the lease is lost
/// for good. A holder that cannot reach S3 counts the lease as lost two thirds of a TTL after the
/// last renewal it sent, before any other process can see it lapse.
final class S3Lease: TargetLease {
    let key: String
    private let s3: S3
    private let objectKey: String
    private let ttl: Duration
    private struct State {
        var document: LeaseDocument
        var etag: String
        /// When the last successful renewal was sent (this process's monotonic clock).
        var renewedAt: ContinuousClock.Instant
        var lost: String?
        var released = false
    }
    private let state: Mutex<State>
    private let heartbeat = Mutex<Task<Void, Never>?>(nil)
    private let writes = SerialTasks()
    /// The run that held the target before and died with it marked active, if any.
    let previousActive: String?

    init(
        key: String, s3: S3, objectKey: String, ttl: Duration, document: LeaseDocument, etag: String,
        sentAt: ContinuousClock.Instant, previousActive: String?
    ) {
        self.key = key
        self.s3 = s3
        self.objectKey = objectKey
        self.ttl = ttl
        self.previousActive = previousActive
        state = Mutex(State(document: document, etag: etag, renewedAt: sentAt))
    }

    /// The fencing token of this holding.
    var token: Int { state.withLock { $0.document.token } }

    /// Takes the lease at `objectKey` when it is free; nil when another live holder has it.
    static func take(
        key: String, s3: S3, objectKey: String, holder: LeaseHolder, ttl: Duration
    ) async throws -> S3Lease? {
        let current = try await s3.get(objectKey)
        var previous: LeaseDocument?
        if let current {
            // An unreadable lease object is treated as lapsed: it is replaced, its ETag guarding the race.
            previous = try? StateCoding.decoder.decode(LeaseDocument.self, from: current.data)
            if let previous, !previous.isFree(at: Date()) { return nil }
        }
        let sentAt = ContinuousClock.now
        let document = LeaseDocument(
            holder: holder, run: nil, active: previous?.active, token: (previous?.token ?? 0) + 1,
            expiresAt: Date().addingTimeInterval(ttl.seconds), released: false)
        let etag: String
        do {
            etag = try await s3.put(
                objectKey, try StateCoding.encoder.encode(document),
                condition: current.map { .matches($0.etag) } ?? .absent, contentType: "application/json")
        } catch  where S3.isConditionFailure(error) {
            return nil
        }
        let lease = S3Lease(
            key: key, s3: s3, objectKey: objectKey, ttl: ttl, document: document, etag: etag, sentAt: sentAt,
            previousActive: previous?.active)
        lease.startHeartbeat()
        return lease
    }

    /// Who holds the lease at `objectKey`, nil when it is free.
    static func holder(s3: S3, objectKey: String) async -> String? {
        guard let object = try? await s3.get(objectKey),
            let document = try? StateCoding.decoder.decode(LeaseDocument.self, from: object.data),
            !document.isFree(at: Date())
        else { return nil }
        let run = document.run.map { "run \($0): " } ?? ""
        return "\(run)\(document.holder.description), lease until \(Timestamp.precise(document.expiresAt))"
    }

    private func startHeartbeat() {
        let interval = ttl / 3
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                if (try? await self.renew()) == nil, self.isLost {
                    self.notifyLost()
                    return
                }
            }
        }
        heartbeat.withLock { $0 = task }
    }

    private let lostHandler = Mutex<(@Sendable (String) -> Void)?>(nil)

    func onLost(_ handler: @escaping @Sendable (String) -> Void) { lostHandler.withLock { $0 = handler } }

    /// Tells the holder once that its lease is gone (the run cancels its stage; `on_failure` then
    /// stops at its own lease check).
    private func notifyLost() {
        guard let reason = state.withLock({ $0.released ? nil : $0.lost }) else { return }
        lostHandler.withLock { handler in
            handler?(reason)
            handler = nil
        }
    }

    private var isLost: Bool {
        state.withLock { s in
            if s.lost == nil, ContinuousClock.now - s.renewedAt >= ttl * 2 / 3 {
                s.lost = "no renewal of the lease on \(key) reached S3 for \(DurationFormat.format(ttl * 2 / 3))"
            }
            return s.lost != nil || s.released
        }
    }

    /// Writes the lease with `change` applied and a new expiry, on the condition that it is still ours.
    /// Writes are serialised (the heartbeat and a stage's confirmation never race on one ETag).
    private func write(_ change: @escaping @Sendable (inout LeaseDocument) -> Void = { _ in }) async throws {
        try await writes.run { [self] in try await self.writeNow(change) }
    }

    private func writeNow(_ change: (inout LeaseDocument) -> Void) async throws {
        let (document, etag) = try state.withLock { s -> (LeaseDocument, String) in
            if let lost = s.lost { throw LeaseLost(lost) }
            if s.released { throw LeaseLost("the lease on \(key) was released") }
            var document = s.document
            change(&document)
            document.expiresAt = Date().addingTimeInterval(ttl.seconds)
            return (document, s.etag)
        }
        let sentAt = ContinuousClock.now
        var condition = etag
        for attempt in 1...2 {
            do {
                let newTag = try await s3.put(
                    objectKey, try StateCoding.encoder.encode(document), condition: .matches(condition),
                    contentType: "application/json")
                state.withLock { s in
                    s.document = document
                    s.etag = newTag
                    s.renewedAt = sentAt
                }
                return
            } catch  where S3.isConditionFailure(error) {
                // A write whose answer was lost may have landed: if the object is still this holding
                // (same holder, same token), carry on from its ETag; otherwise another process has it.
                if attempt == 1, let current = try? await s3.get(objectKey),
                    let found = try? StateCoding.decoder.decode(LeaseDocument.self, from: current.data),
                    found.token == document.token, found.holder == document.holder, !found.released
                {
                    condition = current.etag
                    continue
                }
                let reason = "another process took the lease on \(key) (it lapsed: no renewal within its TTL)"
                state.withLock { $0.lost = reason }
                notifyLost()
                throw LeaseLost(reason)
            }
        }
    }

    /// Extends the lease.
    func renew() async throws { try await write() }

    func confirm() async throws {
        if isLost { throw LeaseLost(state.withLock { $0.lost ?? "the lease on \(key) was released" }) }
        // A renewal less than a third of the TTL ago: no other process can have taken it since.
        let fresh = state.withLock { ContinuousClock.now - $0.renewedAt < ttl / 3 }
        guard !fresh else { return }
        do { try await renew() } catch let lost as LeaseLost { throw lost } catch {
            // Unconfirmed is not held: the run stops rather than change the target on a lease it
            // may no longer have.
            throw LeaseLost("could not renew the lease on \(key): \(error)")
        }
    }

    func release() async {
        heartbeat.withLock { $0?.cancel() }
        await writes.drain()
        let done = state.withLock { s -> Bool in
            defer { s.released = true }
            return s.released || s.lost != nil
        }
        guard !done else { return }
        let (document, etag) = state.withLock { s -> (LeaseDocument, String) in
            var document = s.document
            document.released = true
            document.run = nil
            document.expiresAt = Date()
            return (document, s.etag)
        }
        // A release that does not reach S3 leaves the lease to lapse after its TTL.
        _ = try? await s3.put(
            objectKey, try StateCoding.encoder.encode(document), condition: .matches(etag),
            contentType: "application/json")
    }

    func abandonedRun() async -> String? { state.withLock { $0.document.active } }

    func attach(runID: String) async throws { try await write { $0.run = runID } }

    func markActive(_ runID: String) async throws {
        try await write {
            $0.run = runID
            $0.active = runID
        }
    }

    func clearActive() async { try? await write { $0.active = nil } }

    /// Stops the heartbeat as a killed holder would (tests of lapsed leases).
    func stopRenewingForTest() { heartbeat.withLock { $0?.cancel() } }

    deinit { heartbeat.withLock { $0?.cancel() } }
}
