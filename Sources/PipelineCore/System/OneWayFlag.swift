import Synchronization

/// A flag that goes from unset to set once, shared with other threads (a child process's watcher, the
/// inotify reader): `set()` from anywhere, `isSet` polled by the thread that should stop.
package final class OneWayFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// An unset flag.
    package init() {}

    /// Sets the flag (for good).
    package func set() { value.store(true, ordering: .releasing) }

    /// Whether it was set.
    package var isSet: Bool { value.load(ordering: .acquiring) }
}
