import Foundation

/// One task of a service as the platform reports it: what readiness is judged on.
public struct TaskState: Sendable, Hashable, Codable {
    /// The task's id (ECS: its ARN).
    public var id: String
    /// The deployment that started it (ECS: `startedBy`, e.g. `ecs-svc/123`).
    public var deploymentID: String
    /// The task definition it runs.
    public var taskDefinition: String
    /// True while the task runs (ECS `lastStatus` RUNNING; not draining or stopping).
    public var running: Bool
    /// True once the platform stopped it.
    public var stopped: Bool
    /// The containers' health: nil when no container has a health check, else healthy or not.
    public var containerHealthy: Bool?
    /// The load balancer's view, one entry per target group the service registers with; empty without one.
    public var targets: [TargetHealthState]
    /// Why it stopped, when it did, with exit codes and last log lines where the platform has them.
    public var stoppedReason: String?
    /// True when it stopped because it failed (not a scale-in or a replacement).
    public var failed: Bool

    /// A task.
    public init(
        id: String, deploymentID: String, taskDefinition: String, running: Bool, stopped: Bool,
        containerHealthy: Bool?, targets: [TargetHealthState], stoppedReason: String? = nil, failed: Bool = false
    ) {
        self.id = id
        self.deploymentID = deploymentID
        self.taskDefinition = taskDefinition
        self.running = running
        self.stopped = stopped
        self.containerHealthy = containerHealthy
        self.targets = targets
        self.stoppedReason = stoppedReason
        self.failed = failed
    }

    /// Running, its containers healthy (or without checks), and healthy in every target group.
    public var isHealthy: Bool {
        running && containerHealthy != false && targets.allSatisfy(\.healthy)
    }

    /// Why it is not healthy, for people; nil when it is.
    public var problem: String? {
        if stopped { return "stopped: \(stoppedReason ?? "no reason given")" }
        if !running { return "not running yet" }
        if containerHealthy == false { return "container health check not passing" }
        if containerHealthy == nil, targets.isEmpty { return nil }
        let bad = targets.filter { !$0.healthy }
        if bad.isEmpty { return nil }
        return bad.map { "target \($0.state) in \($0.targetGroup)\($0.reason.map { " (\($0))" } ?? "")" }
            .joined(separator: ", ")
    }
}

/// A task's health in one target group.
public struct TargetHealthState: Sendable, Hashable, Codable {
    /// The target group (ECS: its ARN; local: the listener).
    public var targetGroup: String
    /// ELBv2's state: initial, healthy, unhealthy, draining, unused, unavailable.
    public var state: String
    /// ELBv2's reason code, e.g. `Target.ResponseCodeMismatch`.
    public var reason: String?

    /// A task's health in a target group.
    public init(targetGroup: String, state: String, reason: String? = nil) {
        self.targetGroup = targetGroup
        self.state = state
        self.reason = reason
    }

    /// True when the load balancer routes to it.
    public var healthy: Bool { state == "healthy" }
}

/// One change of an alarm's state (CloudWatch `DescribeAlarmHistory`, `StateUpdate` items).
public struct AlarmTransition: Sendable, Hashable, Codable {
    /// The alarm.
    public var alarm: String
    /// When it changed, by the platform's clock.
    public var at: Date
    /// The state before.
    public var from: AlarmStateValue
    /// The state after.
    public var to: AlarmStateValue
    /// The platform's reason for the new state.
    public var reason: String

    /// A transition.
    public init(alarm: String, at: Date, from: AlarmStateValue, to: AlarmStateValue, reason: String) {
        self.alarm = alarm
        self.at = at
        self.from = from
        self.to = to
        self.reason = reason
    }
}
