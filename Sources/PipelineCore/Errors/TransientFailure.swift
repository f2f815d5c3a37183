/// An error a platform may answer for a while and then stop answering (throttling, a 5xx, a lost
/// connection). Loops that poll — readiness, the alarm watch, DNS — look again at their next interval
/// instead of failing, for at most `TransientFailures.tolerated` looks in a row.
public protocol TransientFailure: Error {
    /// True when trying again later may succeed.
    var isTransient: Bool { get }
}

/// Counts failed looks in a row for a polling loop.
public struct TransientFailures: Sendable {
    /// Looks in a row that may fail before the loop gives up.
    public static let tolerated = 5
    private var inARow = 0

    /// No failures yet.
    public init() {}

    /// Call with a failed look: returns normally when the loop should look again, rethrows otherwise.
    public mutating func absorb(_ error: any Error, log: (String) -> Void) throws {
        guard let transient = error as? any TransientFailure, transient.isTransient, inARow + 1 < Self.tolerated
        else { throw error }
        inARow += 1
        log("look failed (\(inARow) in a row, at most \(Self.tolerated)): \(error); looking again")
    }

    /// Call after a successful look.
    public mutating func reset() { inARow = 0 }
}
