import Foundation
import PipelineCore
import PipelineNotify

/// Several observers of one run (the progress on the terminal, the notifications).
struct RunObservers: RunObserver {
    let all: [any RunObserver]

    func event(_ event: RunEvent, record: RunRecord) {
        for observer in all { observer.event(event, record: record) }
    }

    func log(stage: String, line: String) {
        for observer in all { observer.log(stage: stage, line: line) }
    }
}

extension RunExecutor {
    /// How long a finished run waits for notifications still being sent (a dead receiver costs no more).
    static let notificationDrain: Duration = .seconds(1)

    /// The run's notifier (nil without `notify:`), also handed to `notify` stages through `services`.
    func notifier(
        for pipeline: Pipeline, commit: CommitInfo, services: inout ServiceBag
    ) throws -> Notifier? {
        guard !pipeline.notify.isEmpty else { return nil }
        let scope = ExpressionScope(
            commit: commit, pipelineName: pipeline.name, runID: "\(pipeline.name)-notify", environment: environment,
            target: pipeline.target)
        let target = pipeline.target
        let quiet = mode == .silent
        let notifier = Notifier(
            targets: try pipeline.resolvedNotify(in: scope),
            targetDescription: "\(target.provider) \(target.cluster.map { "\($0)/" } ?? "")\(target.service ?? "")",
            environment: environment,
            log: { message in if !quiet { Terminal.note("notify: \(message)") } })
        services.set(NotificationSinkBox(notifier))
        return notifier
    }
}
