import Foundation
import Metrics
import PipelineCore

/// Records runs into swift-metrics (exported as Prometheus text by `watch --metrics`; without it the
/// metrics system is a no-op): runs by pipeline and status, stage durations, the last success, and for
/// pushed commits the lag from commit to run start.
struct RunMetrics: RunObserver {
    func event(_ event: RunEvent, record: RunRecord) {
        let pipeline = ("pipeline", record.pipeline)
        switch event.type {
        case .runStarted:
            guard record.trigger == "push", let committed = record.commit.date else { return }
            Recorder(label: "pipeline_watch_lag_seconds", dimensions: [pipeline], aggregate: true)
                .record(max(0, record.startedAt.timeIntervalSince(committed)))
        case .stageFinished:
            Timer(
                label: "pipeline_stage_duration_seconds",
                dimensions: [pipeline, ("stage", event.stage ?? ""), ("status", event.status ?? "")]
            ).recordMilliseconds(event.durationMs ?? 0)
        case .runFinished:
            let status = event.status ?? record.status.rawValue
            Counter(label: "pipeline_runs_total", dimensions: [pipeline, ("status", status)]).increment()
            if status == RunStatus.succeeded.rawValue {
                Gauge(label: "pipeline_last_success_timestamp_seconds", dimensions: [pipeline])
                    .record(event.time.timeIntervalSince1970)
            }
        default:
            return
        }
    }

    func log(stage: String, line: String) {}

    /// How long a run waited for its target's lock.
    static func lockWait(_ duration: Duration, pipeline: String) {
        Timer(label: "pipeline_lock_wait_seconds", dimensions: [("pipeline", pipeline)]).record(duration: duration)
    }
}
