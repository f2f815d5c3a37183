import Foundation
import PipelineCore

/// The JSON body a generic webhook receives (docs/notifications.schema.json, `schema` = `pipeline.notification/v1`).
package struct Notification: Sendable, Codable, Equatable {
    /// The run a notification is about.
    package struct Run: Sendable, Codable, Equatable {
        package var id: String
        package var status: String
        package var trigger: String
        package var startedAt: Date
        package var endedAt: Date?
        package var error: String?
        enum CodingKeys: String, CodingKey {
            case id, status, trigger, error
            case startedAt = "started_at"
            case endedAt = "ended_at"
        }
    }
    /// The commit deployed.
    package struct Commit: Sendable, Codable, Equatable {
        package var sha: String
        package var branch: String?
        package var author: String?
        package var message: String?
    }

    package var schema = "pipeline.notification/v1"
    /// Unique per notification (a receiver can drop a retried duplicate).
    package var id: String
    package var event: NotifyTarget.Event
    package var time: Date
    package var pipeline: String
    package var target: String
    package var run: Run
    package var commit: Commit
    /// The stage it concerns (the approval that waits, the stage that failed), if any.
    package var stage: String?
    /// One line for people.
    package var message: String

    /// The notification for a run event, nil when the event is not one notifications carry.
    package static func from(_ event: RunEvent, record: RunRecord, target: String) -> Notification? {
        let kind: NotifyTarget.Event
        var stage = event.stage
        var message: String
        switch event.type {
        case .runStarted where record.recovery == nil:
            kind = .started
            message = "\(record.id) started: \(record.pipeline) at \(record.commit.shortSHA)"
        case .stageWaiting where event.status == StageStatus.waiting.rawValue:
            kind = .waiting
            message = "\(record.id) \(event.message ?? "waits for an operator") (`pipeline approve \(record.id)`)"
        case .runFinished:
            let status = event.status.flatMap(RunStatus.init(rawValue:)) ?? record.status
            stage = record.stages.first { [.failed, .timedOut, .cancelled].contains($0.status) }?.id
            if record.recovery != nil {
                kind = .recovered
                message = "\(record.id) recovered by \(record.recovery?.by ?? "another engine"): \(status.rawValue)"
            } else {
                switch status {
                case .succeeded: kind = .succeeded
                case .rolledBack: kind = .rolledBack
                case .failed, .interrupted: kind = .failed
                default: return nil
                }
                message = "\(record.id) \(status.rawValue)\(event.message.map { ": \($0)" } ?? "")"
            }
        default:
            return nil
        }
        return Notification(
            id: UUID().uuidString, event: kind, time: event.time, pipeline: record.pipeline, target: target,
            run: Run(
                id: record.id,
                status: event.type == .runFinished ? (event.status ?? record.status.rawValue) : "running",
                trigger: record.trigger, startedAt: record.startedAt,
                endedAt: event.type == .runFinished ? event.time : nil,
                error: event.type == .runFinished ? event.message : nil),
            commit: Commit(
                sha: record.commit.sha, branch: record.commit.branch, author: record.commit.author,
                message: record.commit.message),
            stage: stage, message: message)
    }
}
