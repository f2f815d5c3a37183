import Foundation
import PipelineCore
import PipelineStore

/// What `pipeline status` shows: the target's services (tasks healthy/desired, deployments, events),
/// traffic weights, alarms, the run going on now (stages with timers, a waiting approval) and the last runs.
struct StatusReport: Encodable {
    struct Deployment: Encodable {
        var id: String
        var status: String
        var taskDefinition: String
        var rolloutState: String
        var running: Int
        var desired: Int
        enum CodingKeys: String, CodingKey {
            case id, status, running, desired
            case taskDefinition = "task_definition"
            case rolloutState = "rollout_state"
        }
    }
    struct Service: Encodable {
        var name: String
        var taskDefinition: String
        var desired: Int
        var running: Int
        var healthy: Int?
        var deployments: [Deployment]
        var events: [ServiceEvent]
        enum CodingKeys: String, CodingKey {
            case name, desired, running, healthy, deployments, events
            case taskDefinition = "task_definition"
        }
    }
    struct Alarm: Encodable {
        var name: String
        var state: String
        var since: Date?
    }
    struct Route: Encodable {
        var id: String
        var weights: [WeightedTarget]
    }
    struct Stage: Encodable {
        var id: String
        var status: String
        /// Time spent so far (running or waiting) or in all (ended).
        var elapsedMs: Int64?
        enum CodingKeys: String, CodingKey {
            case id, status
            case elapsedMs = "elapsed_ms"
        }
    }
    struct CurrentRun: Encodable {
        var id: String
        var status: String
        var sha: String
        var startedAt: Date
        var stages: [Stage]
        /// What a waiting stage waits for (an approval's question).
        var waiting: String?
        enum CodingKeys: String, CodingKey {
            case id, status, sha, stages, waiting
            case startedAt = "started_at"
        }
    }
    var time: Date
    var pipeline: String
    var file: String
    var target: String
    var service: Service?
    var canary: Service?
    var traffic: [Route]
    var alarms: [Alarm]
    var run: CurrentRun?
    var runs: [RunSummary]

    /// Looks at the target and the state now.
    static func gather(
        pipeline: Pipeline, target: any DeploymentTarget, main: String, canary: String, alarms specs: [AlarmWatchSpec],
        store: any StateStore, runs: Int
    ) async throws -> StatusReport {
        var alarms: [AlarmState] = []
        for spec in specs {
            for alarm in try await target.alarms(names: spec.names, prefix: spec.prefix)
            where !alarms.contains(where: { $0.name == alarm.name }) {
                alarms.append(alarm)
            }
        }
        let mainState = try await target.service(main)
        var traffic: [Route] = []
        if let group = mainState?.targetGroups.first {
            traffic = ((try? await target.trafficRoutes(targetGroup: group)) ?? []).map {
                Route(id: $0.id, weights: $0.forward)
            }
        }
        let recent = try await store.list(
            pipeline: pipeline.name, status: nil, limit: max(runs, 1), includeDryRuns: true)
        return StatusReport(
            time: Date(), pipeline: pipeline.name, file: pipeline.file, target: target.description,
            service: try await service(mainState, target),
            canary: try await service(try await target.service(canary), target),
            traffic: traffic,
            alarms: alarms.map { Alarm(name: $0.name, state: $0.state.rawValue, since: $0.updatedAt) },
            run: try await currentRun(recent, store: store), runs: recent)
    }

    static func service(_ state: ServiceState?, _ target: any DeploymentTarget) async throws -> Service? {
        guard let state else { return nil }
        let tasks = (try? await target.tasks(service: state.name, includeStopped: false)) ?? []
        return Service(
            name: state.name, taskDefinition: state.taskDefinition, desired: state.desiredCount,
            running: state.runningCount, healthy: tasks.filter { $0.running && $0.isHealthy }.count,
            deployments: state.deployments.map {
                Deployment(
                    id: $0.id, status: $0.status.rawValue, taskDefinition: $0.taskDefinition,
                    rolloutState: $0.rolloutState.rawValue, running: $0.runningCount, desired: $0.desiredCount)
            },
            events: Array(state.events.prefix(5)))
    }

    /// The newest run when it has not ended (a dead one reads as interrupted and is not "now").
    static func currentRun(_ recent: [RunSummary], store: any StateStore) async throws -> CurrentRun? {
        guard let newest = recent.first(where: { !$0.status.isFinal }) else { return nil }
        let record = try await store.load(runID: newest.id)
        guard !record.status.isFinal else { return nil }
        let now = Date()
        let stages = record.stages.map { stage -> Stage in
            let elapsed: Int64? =
                stage.status.isActive
                ? stage.startedAt.map { Int64(now.timeIntervalSince($0) * 1000) } : stage.durationMs
            return Stage(id: stage.id, status: stage.status.rawValue, elapsedMs: elapsed)
        }
        var waiting: String?
        if let stage = record.stages.first(where: { $0.status == .waiting }) {
            waiting = try await store.events(runID: record.id).last {
                $0.type == .stageWaiting && $0.stage == stage.id
            }?.message
        }
        return CurrentRun(
            id: record.id, status: record.status.rawValue, sha: record.commit.sha, startedAt: record.startedAt,
            stages: stages, waiting: waiting)
    }
}
