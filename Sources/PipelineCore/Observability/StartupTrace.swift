import Foundation
import Synchronization

/// `PIPELINE_TRACE_STARTUP=1`: the engine says on stderr how long the process took from its start to
/// its first call to the platform (the figure `scripts/bench pipeline` reports as start-up).
public enum StartupTrace {
    /// When `main` began; `mark()` at the top of `main` sets it.
    nonisolated(unsafe) private static var began: ContinuousClock.Instant?
    private static let said = Atomic<Bool>(false)
    private static let enabled = ProcessInfo.processInfo.environment["PIPELINE_TRACE_STARTUP"] == "1"

    /// Call first thing in `main`.
    public static func mark() {
        began = ContinuousClock.now
    }

    /// Called before each platform call; reports the first one once.
    public static func platformCall(_ operation: String) {
        guard enabled, let began, !said.exchange(true, ordering: .relaxed) else { return }
        say("first platform call (\(operation))", since: began)
    }

    /// A step of the start-up (repository read, pipeline loaded, state opened, run recorded), reported
    /// until the first platform call.
    public static func milestone(_ name: String) {
        guard enabled, let began, !said.load(ordering: .relaxed) else { return }
        say(name, since: began)
    }

    private static func say(_ what: String, since began: ContinuousClock.Instant) {
        let ms = (ContinuousClock.now - began).seconds * 1000
        FileHandle.standardError.write(Data(String(format: "startup: %@ %.2f ms after main\n", what, ms).utf8))
    }
}
