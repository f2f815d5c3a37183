import Foundation

/// The platform the built-in stages deploy to: task definitions, services, alarms and DNS.
/// `PipelineAWS` implements it on ECS; the local provider on this machine; tests with fakes.
public protocol DeploymentTarget: Sendable {
    /// A description for logs, e.g. `ECS cluster demo in us-east-1`.
    var description: String { get }

    /// The latest ACTIVE revision of a family, or nil.
    func latestTaskDefinition(family: String) async throws -> TaskDefinitionRecord?
    /// A task definition by ARN (or `family:revision`), or nil.
    func taskDefinition(_ arn: String) async throws -> TaskDefinitionRecord?
    /// Registers a task definition document with tags.
    func registerTaskDefinition(_ document: JSONValue, tags: [String: String]) async throws -> TaskDefinitionRecord

    /// A service by name, nil when it does not exist (or is inactive).
    func service(_ name: String) async throws -> ServiceState?
    /// Creates `name` as a copy of `template` (its load balancers, service registries, network
    /// configuration, launch type or capacity providers, platform version) on another task definition.
    func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int) async throws
        -> ServiceState
    /// Updates a service.
    func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState

    /// The tasks of a service: every running one and, with `includeStopped`, those stopped recently.
    func tasks(service: String, includeStopped: Bool) async throws -> [TaskState]

    /// Alarms by names and/or a name prefix.
    func alarms(names: [String], prefix: String?) async throws -> [AlarmState]
    /// State changes of those alarms at or after `since` (by the platform's clock), oldest first.
    func alarmHistory(names: [String], prefix: String?, since: Date) async throws -> [AlarmTransition]

    /// Where DNS aliases of this target point, resolved from a load balancer (ARN or name).
    func loadBalancerAlias(_ nameOrARN: String) async throws -> AliasTarget
    /// Where DNS aliases point for a service discovery service (`service.namespace`).
    func serviceDiscoveryAlias(namespaceID: String, service: String) async throws -> AliasTarget
    /// Creates or updates an alias record; returns a change id (empty when nothing had to change).
    func upsertAlias(hostedZoneID: String, name: String, type: String, target: AliasTarget) async throws -> String
    /// `PENDING` or `INSYNC`.
    func changeStatus(_ changeID: String) async throws -> ChangeStatus
}

/// A registered task definition.
public struct TaskDefinitionRecord: Sendable, Hashable {
    public var arn: String
    public var family: String
    public var revision: Int
    /// The document as the platform returns it.
    public var document: JSONValue
    public init(arn: String, family: String, revision: Int, document: JSONValue) {
        self.arn = arn
        self.family = family
        self.revision = revision
        self.document = document
    }
}

/// A service and its deployments.
public struct ServiceState: Sendable, Hashable {
    public var name: String
    public var arn: String
    public var taskDefinition: String
    public var desiredCount: Int
    public var runningCount: Int
    public var deployments: [DeploymentState]
    public init(
        name: String, arn: String, taskDefinition: String, desiredCount: Int, runningCount: Int,
        deployments: [DeploymentState]
    ) {
        self.name = name
        self.arn = arn
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.runningCount = runningCount
        self.deployments = deployments
    }

    /// The PRIMARY deployment.
    public var primary: DeploymentState? { deployments.first { $0.status == .primary } }
}

/// One deployment of a service.
public struct DeploymentState: Sendable, Hashable, Codable {
    public var id: String
    /// PRIMARY, ACTIVE or INACTIVE.
    public var status: DeploymentStatus
    public var taskDefinition: String
    /// IN_PROGRESS, COMPLETED or FAILED.
    public var rolloutState: RolloutState
    public var rolloutStateReason: String
    public var desiredCount: Int
    public var runningCount: Int
    public var failedTasks: Int
    /// When the platform started it.
    public var createdAt: Date?
    public init(
        id: String, status: DeploymentStatus, taskDefinition: String, rolloutState: RolloutState,
        rolloutStateReason: String,
        desiredCount: Int, runningCount: Int, failedTasks: Int, createdAt: Date? = nil
    ) {
        self.createdAt = createdAt
        self.id = id
        self.status = status
        self.taskDefinition = taskDefinition
        self.rolloutState = rolloutState
        self.rolloutStateReason = rolloutStateReason
        self.desiredCount = desiredCount
        self.runningCount = runningCount
        self.failedTasks = failedTasks
    }
}

/// How to change a service.
public struct ServiceUpdate: Sendable, Hashable {
    public var taskDefinition: String?
    public var desiredCount: Int?
    public var maximumPercent: Int?
    public var minimumHealthyPercent: Int?
    /// Start a new deployment even when the task definition does not change (fresh tasks).
    public var forceNewDeployment = false
    public var circuitBreaker: (enable: Bool, rollback: Bool)? {
        get { circuitBreakerEnable.map { ($0, circuitBreakerRollback) } }
        set {
            circuitBreakerEnable = newValue?.enable
            circuitBreakerRollback = newValue?.rollback ?? false
        }
    }
    private var circuitBreakerEnable: Bool?
    private var circuitBreakerRollback = false

    public init(taskDefinition: String? = nil, desiredCount: Int? = nil) {
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
    }
}

/// An alarm's state.
public struct AlarmState: Sendable, Hashable {
    public var name: String
    /// OK, ALARM or INSUFFICIENT_DATA.
    public var state: AlarmStateValue
    public var reason: String
    public var updatedAt: Date?
    public init(name: String, state: AlarmStateValue, reason: String, updatedAt: Date?) {
        self.name = name
        self.state = state
        self.reason = reason
        self.updatedAt = updatedAt
    }
}

/// Where an alias record points.
public struct AliasTarget: Sendable, Hashable {
    public var dnsName: String
    public var hostedZoneID: String
    public var evaluateTargetHealth: Bool
    public init(dnsName: String, hostedZoneID: String, evaluateTargetHealth: Bool) {
        self.dnsName = dnsName
        self.hostedZoneID = hostedZoneID
        self.evaluateTargetHealth = evaluateTargetHealth
    }
}

/// Holds the run's deployment target in `StageContext.services`.
public struct DeploymentTargetBox: Sendable {
    public let target: any DeploymentTarget
    public init(_ target: any DeploymentTarget) { self.target = target }
}

extension StageContext {
    /// The run's deployment target; fails when this run has none (e.g. a provider that is not built).
    public func deploymentTarget() throws -> any DeploymentTarget {
        guard let box = services.get(DeploymentTargetBox.self) else {
            throw StageFailure(
                "stage '\(step.uses)' needs a deployment target, and provider '\(target.provider)' has none")
        }
        return box.target
    }
}
