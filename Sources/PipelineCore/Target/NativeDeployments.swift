import Foundation

/// How ECS itself moves a service to a new revision (`deploymentConfiguration.strategy`, 2025).
public enum NativeStrategy: String, Sendable, Codable, CaseIterable {
    /// Replace tasks in batches (`deployment_maximum_percent` / `deployment_minimum_healthy_percent`).
    case rolling = "ROLLING"
    /// Start the new revision beside the old one, move all traffic at once, bake, then clean up.
    case blueGreen = "BLUE_GREEN"
    /// Move traffic in equal steps, each baked.
    case linear = "LINEAR"
    /// Move a share of traffic, bake, then the rest.
    case canary = "CANARY"
}

/// A deployment ECS runs with its own strategy: the settings UpdateService carries.
public struct NativeDeployment: Sendable, Hashable {
    /// The strategy (not `.rolling`: a rolling update goes through `updateService`).
    public var strategy: NativeStrategy
    /// BLUE_GREEN (and after the last shift of LINEAR and CANARY): how long both revisions run, minutes.
    public var bakeTimeMinutes: Int?
    /// CANARY: the share of production traffic first moved, percent.
    public var canaryPercent: Double?
    /// CANARY: how long that share is baked, minutes.
    public var canaryBakeTimeMinutes: Int?
    /// LINEAR: the share each step moves, percent.
    public var linearStepPercent: Double?
    /// LINEAR: how long each step is baked, minutes.
    public var linearStepBakeTimeMinutes: Int?
    /// The target group the new revision's tasks register with (the load balancer's advanced configuration).
    public var alternateTargetGroup: String?
    /// The listener rule whose production traffic ECS shifts.
    public var productionListenerRule: String?
    /// The listener rule for test traffic, if any.
    public var testListenerRule: String?
    /// The role ECS assumes to change the load balancer.
    public var roleARN: String?
    /// The pipeline's alarms: ECS rolls the deployment back when one fires.
    public var alarms: [String] = []

    /// A deployment with a strategy.
    public init(strategy: NativeStrategy) { self.strategy = strategy }
}

/// A service deployment as ECS reports it (DescribeServiceDeployments).
public struct ServiceDeploymentState: Sendable, Hashable, Codable {
    /// Its ARN.
    public var arn: String
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED,
    /// ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    public var status: String
    /// Where it is: PRE_SCALE_UP, SCALE_UP, …, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP.
    public var lifecycleStage: String?
    /// Why it is in that status.
    public var statusReason: String?
    /// A deployment.
    public init(arn: String, status: String, lifecycleStage: String?, statusReason: String?) {
        self.arn = arn
        self.status = status
        self.lifecycleStage = lifecycleStage
        self.statusReason = statusReason
    }

    /// Still moving (not yet successful, stopped or rolled back).
    public var isInFlight: Bool { ["PENDING", "IN_PROGRESS", "STOP_REQUESTED"].contains(status) }
    /// Rolling back, or rolled back.
    public var isRollingBack: Bool { status.hasPrefix("ROLLBACK") }
}

extension DeploymentTarget {
    /// Unsupported: this target has no deployment strategies of its own.
    public func startNativeDeployment(_ service: String, taskDefinition: String, _ deployment: NativeDeployment)
        async throws -> String
    {
        throw StageFailure("\(description) has no \(deployment.strategy.rawValue) deployments of its own")
    }

    /// Unsupported: this target has no deployment strategies of its own.
    public func serviceDeployment(_ arn: String) async throws -> ServiceDeploymentState? {
        throw StageFailure("\(description) has no service deployments of its own")
    }

    /// Unsupported: this target has no deployment strategies of its own.
    public func stopServiceDeployment(_ arn: String, rollback: Bool) async throws {
        throw StageFailure("\(description) has no service deployments of its own")
    }
}
