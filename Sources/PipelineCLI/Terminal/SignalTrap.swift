import Dispatch
import Foundation
import PipelineCore
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// SIGINT/SIGTERM/SIGHUP during a run: the first cancels the running stage and lets `on_failure` run;
/// the second has the runner record the run as `interrupted` (`RunControl.interrupt`) and exits at
/// once (130).
// @unchecked: `sources` (dispatch sources are not Sendable) is only touched by install/uninstall on the
// command's task, before and after the run; every other stored property is immutable or a Mutex.
final class SignalTrap: @unchecked Sendable {
    private let control: RunControl
    private let recorder: any RunRecorder
    private let quiet: Bool
    private let count = Mutex(0)
    private var sources: [any DispatchSourceSignal] = []

    init(control: RunControl, recorder: any RunRecorder, quiet: Bool) {
        self.control = control
        self.recorder = recorder
        self.quiet = quiet
    }

    func install() {
        var made: [any DispatchSourceSignal] = []
        for (signo, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [self] in received(name) }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    func uninstall() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }

    private func received(_ name: String) {
        let n = count.withLock { c -> Int in
            c += 1
            return c
        }
        if n == 1 {
            let record = control.latestRecord
            let message =
                "\(name) received: cancelling the running stage, then running on_failure (again to stop at once)"
            try? recorder.append(RunEvent(.cancelRequested, run: record?.id ?? "", message: message))
            if !quiet { Terminal.note("\n\(message)") }
            control.cancel(reason: "\(name) received")
            return
        }
        if let record = control.interrupt(reason: "a second \(name)"), !quiet {
            Terminal.note("\(name) again: run \(record.id) recorded as interrupted")
        }
        // A store that writes on flush (S3) gets up to 5 s to take the interrupted record; this
        // handler runs on a dispatch thread, so waiting here holds no thread the flush needs.
        let flushed = DispatchSemaphore(value: 0)
        let recorder = self.recorder
        Task.detached {
            try? await recorder.flush()
            flushed.signal()
        }
        _ = flushed.wait(timeout: .now() + 5)
        exit(130)
    }
}
