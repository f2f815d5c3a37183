import Foundation
import PipelineCore

/// A task the agent runs: one process per container.
struct RunningTask: Sendable {
    enum Phase: String, Sendable {
        case provisioning = "PROVISIONING"
        case running = "RUNNING"
        case draining = "DRAINING"
        case stopping = "STOPPING"
    }

    struct Container: Sendable {
        var spec: ContainerSpec
        var pid: pid_t
        var environment: [String: String]
        var directory: String
        var exit: ChildProcess.Termination?
    }

    var id: String
    var service: String
    var deployment: String
    var taskDefinition: String
    var containers: [Container]
    var port: Int?
    var listener: String?
    var phase: Phase = .provisioning
    var startedAt = Date()
    var started = ContinuousClock.now
    var restarts: Int
    var log: String

    /// HEALTHY, UNHEALTHY or UNKNOWN, from the containers' healthCheck (HEALTHY when none has one).
    var containerHealth = "UNKNOWN"
    var healthFailures = 0
    var checkingHealth = false
    var nextHealthCheck = ContinuousClock.now
    /// The load balancer's view (nil until its first check).
    var targetHealthy: Bool?
    var targetFailures = 0
    var checkingTarget = false
    var nextTargetCheck = ContinuousClock.now

    var everHealthy = false
    var healthySince: ContinuousClock.Instant?
    /// Set when the agent decided to stop it (a deployment, a scale-in, a failed check).
    var stopReason: String?
    /// True when it was stopped because it failed (exited, failed its checks), not scaled in or replaced.
    var stopWasFailure = false
    var drainSince: ContinuousClock.Instant?
    var killAt: ContinuousClock.Instant?

    var healthCheck: HealthCheckSpec? { containers.first { $0.spec.healthCheck != nil }?.spec.healthCheck }
    var stopTimeout: Int { containers.map(\.spec.stopTimeout).max() ?? 30 }

    /// Serves traffic and counts toward the healthy count.
    var isHealthy: Bool {
        guard phase == .running else { return false }
        if healthCheck != nil, containerHealth != "HEALTHY" { return false }
        if listener != nil { return targetHealthy == true }
        return healthCheck != nil || ContinuousClock.now - started >= .seconds(1)
    }

    var health: String {
        if phase == .running && isHealthy { return "HEALTHY" }
        if containerHealth == "UNHEALTHY" || targetHealthy == false { return "UNHEALTHY" }
        return "UNKNOWN"
    }

    /// As readiness judges it.
    var taskState: TaskState {
        let checked = healthCheck != nil || listener == nil
        return TaskState(
            id: id, deploymentID: deployment, taskDefinition: taskDefinition, running: phase == .running,
            stopped: false,
            containerHealthy: checked ? (healthCheck == nil ? isHealthy : containerHealth == "HEALTHY") : nil,
            targets: listener.map {
                [
                    TargetHealthState(
                        targetGroup: $0,
                        state: targetHealthy == true ? "healthy" : (targetHealthy == nil ? "initial" : "unhealthy"),
                        reason: targetHealthy == false ? "failed \(targetFailures) health check(s)" : nil)
                ]
            } ?? [])
    }

    var status: TaskStatus {
        TaskStatus(
            id: id, service: service, pid: containers.first?.pid ?? 0, port: port, health: health,
            status: phase.rawValue, taskDefinition: taskDefinition, restarts: restarts, startedAt: startedAt, log: log)
    }
}
