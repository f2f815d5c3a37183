import AsyncHTTPClient
import Foundation
import PipelineCore
import Synchronization

/// Sends a run's events to the pipeline's `notify:` destinations without ever holding the run up: each
/// event is queued per destination (in order) and sent in the background with retries; a destination
/// that fails or hangs costs the run nothing, and the process waits at most `drain`'s limit for what is
/// still in flight when it ends.
package final class Notifier: RunObserver, NotificationSink {
    struct Destination: Sendable {
        let sender: any Sender
        let events: Set<NotifyTarget.Event>
        let queue = SerialQueue()
    }

    private let destinations: [Destination]
    private let targetDescription: String
    private let log: @Sendable (String) -> Void
    private let redactor: Redactor
    private let counter = Counter()
    private let latest = Mutex<RunRecord?>(nil)

    /// A notifier for `targets` (already resolved for this run); `log` hears retries and failures.
    package init(
        targets: [ResolvedNotifyTarget], targetDescription: String, environment: [String: String],
        http: HTTPClient = .shared, log: @escaping @Sendable (String) -> Void
    ) {
        let redactor = Redactor(environment: environment)
        let safeLog: @Sendable (String) -> Void = { log(redactor.redact($0)) }
        let delivery = Delivery(http: http, log: safeLog)
        destinations = targets.map { target in
            let name = target.displayName
            let sender: any Sender
            switch target.kind {
            case .webhook:
                sender = WebhookSender(
                    url: target.settings["url"] ?? "", secret: target.settings["secret"], delivery: delivery, name: name
                )
            case .slack:
                sender = SlackSender(url: target.settings["url"] ?? "", delivery: delivery, name: name)
            case .github:
                sender = GitHubSender(settings: target.settings, delivery: delivery, name: name)
            }
            return Destination(sender: sender, events: target.events)
        }
        self.targetDescription = targetDescription
        self.log = safeLog
        self.redactor = redactor
    }

    /// Whether any destination is configured.
    package var isEmpty: Bool { destinations.isEmpty }

    package func event(_ event: RunEvent, record: RunRecord) {
        latest.withLock { $0 = record }
        guard !destinations.isEmpty,
            var notification = Notification.from(event, record: record, target: targetDescription)
        else { return }
        notification.message = redactor.redact(notification.message)
        notification.run.error = notification.run.error.map(redactor.redact)
        send(notification, record: record)
    }

    package func log(stage: String, line: String) {}

    /// A `notify` stage's message, to every destination that takes `message`.
    package func notify(_ text: String, stage: String) -> Int {
        guard let record = latest.withLock({ $0 }),
            var notification = Notification.from(
                RunEvent(.runStarted, run: record.id), record: record, target: targetDescription)
        else { return 0 }
        notification.event = .message
        notification.stage = stage
        notification.message = redactor.redact(text)
        return send(notification, record: record)
    }

    @discardableResult
    private func send(_ notification: Notification, record: RunRecord) -> Int {
        var count = 0
        for destination in destinations where destination.events.contains(notification.event) {
            let (sender, log, counter) = (destination.sender, self.log, self.counter)
            destination.queue.enqueue {
                do {
                    try await sender.send(notification, record: record)
                    counter.add()
                } catch {
                    log("notification '\(notification.event.rawValue)' not delivered: \(error)")
                }
            }
            count += 1
        }
        return count
    }

    /// How many notifications were delivered.
    package var delivered: Int { counter.value }

    /// Waits until every queued notification is sent or given up, for at most `limit`; says whether all
    /// were. (Not a task
    /// group: a group would wait for its children, and a hung delivery does not end on cancellation.)
    @discardableResult
    package func drain(within limit: Duration) async -> Bool {
        let queues = destinations.map(\.queue)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
            let resume: @Sendable (Bool) -> Void = { done in once.withLock { $0.take() }?.resume(returning: done) }
            Task {
                for queue in queues { await queue.idle() }
                resume(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                resume(false)
            }
        }
    }
}

/// Runs operations one after another, in the order they were enqueued.
final class SerialQueue: Sendable {
    private let tail = Mutex<Task<Void, Never>?>(nil)

    func enqueue(_ operation: @escaping @Sendable () async -> Void) {
        tail.withLock { tail in
            let previous = tail
            tail = Task {
                await previous?.value
                await operation()
            }
        }
    }

    /// Returns when everything enqueued so far has run.
    func idle() async {
        let last = tail.withLock { $0 }
        await last?.value
    }
}

/// A count shared by the delivery tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
