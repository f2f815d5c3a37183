import Foundation

/// A flag one task sets and others read (e.g. "stop the load").
package final class Flag: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    package init() {}
    package func set() { lock.withLock { value = true } }
    package var isSet: Bool { lock.withLock { value } }
}
