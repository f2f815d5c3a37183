/// Where a `notify` stage's message goes: the run's `notify:` destinations (the CLI provides it).
public protocol NotificationSink: Sendable {
    /// Queues `text` for every destination that takes messages; never waits for delivery. Returns how
    /// many destinations it was queued for.
    @discardableResult
    func notify(_ text: String, stage: String) -> Int
}

/// The notification sink in a `ServiceBag`.
public struct NotificationSinkBox: Sendable {
    /// The sink.
    public let sink: any NotificationSink
    /// A box.
    public init(_ sink: any NotificationSink) { self.sink = sink }
}
