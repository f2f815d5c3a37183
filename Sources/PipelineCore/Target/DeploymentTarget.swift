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
    /// Adds tags to a revision (promote marks what it promoted with `KnownGoodTags`).
    func tagTaskDefinition(_ arn: String, tags: [String: String]) async throws
    /// Of the newest `scan` revisions of a family, those carrying `tag`, newest first.
    func taggedTaskDefinitions(family: String, tag: String, scan: Int) async throws -> [TaggedRevision]

    /// A service by name, nil when it does not exist (or is inactive).
    func service(_ name: String) async throws -> ServiceState?
    /// Several services in as few calls as the platform allows (ECS: one DescribeServices for up to 10),
    /// by name; a service that does not exist is missing from the answer.
    func services(_ names: [String]) async throws -> [String: ServiceState]
    /// Creates `name` as a copy of `template` (its load balancers, service registries, network
    /// configuration, launch type or capacity providers, platform version) on another task definition.
    func createService(_ name: String, copying template: String, taskDefinition: String, desiredCount: Int) async throws
        -> ServiceState
    /// Creates a canary like `createService(_:copying:…)`, registered in `targetGroup` instead of the
    /// template's target group (a weighted canary); nil: the same as the copy.
    func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState
    /// Updates a service.
    func updateService(_ name: String, _ update: ServiceUpdate) async throws -> ServiceState

    /// Starts a deployment ECS runs with its own strategy (UpdateService with the strategy and its
    /// settings); returns the service deployment's ARN.
    func startNativeDeployment(_ service: String, taskDefinition: String, _ deployment: NativeDeployment)
        async throws -> String
    /// A service deployment by ARN (nil when it does not exist).
    func serviceDeployment(_ arn: String) async throws -> ServiceDeploymentState?
    /// Stops a service deployment: rolled back to the revision before it (`rollback`), or abandoned.
    func stopServiceDeployment(_ arn: String, rollback: Bool) async throws

    /// The listener rules and default actions that forward to a target group, with their weights.
    func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute]
    /// Makes a route forward to these target groups with these weights.
    func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws

    /// The tasks of a service: every running one and, with `includeStopped`, those stopped recently.
    func tasks(service: String, includeStopped: Bool) async throws -> [TaskState]
    /// The same for a service just described: its target groups need not be read again.
    func tasks(of service: ServiceState, includeStopped: Bool) async throws -> [TaskState]

    /// Alarms by names and/or a name prefix.
    func alarms(names: [String], prefix: String?) async throws -> [AlarmState]
    /// A metric's statistic over the last `window` (nil when there is no datapoint in it).
    func metricValue(_ query: MetricQuerySpec, window: Duration) async throws -> Double?
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
    /// Its ARN (ECS) or `local:task-definition/FAMILY:N`.
    public var arn: String
    /// Its family.
    public var family: String
    /// Its revision number.
    public var revision: Int
    /// The document as the platform returns it.
    public var document: JSONValue
    /// A revision.
    public init(arn: String, family: String, revision: Int, document: JSONValue) {
        self.arn = arn
        self.family = family
        self.revision = revision
        self.document = document
    }
}

/// A service and its deployments.
public struct ServiceState: Sendable, Hashable {
    /// The service's name.
    public var name: String
    /// Its ARN.
    public var arn: String
    /// The task definition of its primary deployment.
    public var taskDefinition: String
    /// How many tasks it should run.
    public var desiredCount: Int
    /// How many run now (of every deployment).
    public var runningCount: Int
    /// Its deployments, primary first.
    public var deployments: [DeploymentState]
    /// The target groups its tasks are registered in (empty without a load balancer).
    public var targetGroups: [String] = []
    /// The service's latest events (ECS's service events; the local agent's task stops), newest first.
    public var events: [ServiceEvent] = []
    /// A service.
    public init(
        name: String, arn: String, taskDefinition: String, desiredCount: Int, runningCount: Int,
        deployments: [DeploymentState], targetGroups: [String] = []
    ) {
        self.name = name
        self.arn = arn
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
        self.runningCount = runningCount
        self.deployments = deployments
        self.targetGroups = targetGroups
    }

    /// The PRIMARY deployment.
    public var primary: DeploymentState? { deployments.first { $0.status == .primary } }
}

/// One of a service's events, as ECS reports them (`service web has reached a steady state.`).
public struct ServiceEvent: Sendable, Hashable, Codable {
    /// When, if known.
    public var at: Date?
    /// What happened.
    public var message: String
    /// An event.
    public init(at: Date?, message: String) {
        self.at = at
        self.message = message
    }
}

/// One deployment of a service.
public struct DeploymentState: Sendable, Hashable, Codable {
    /// The deployment's id (ECS `ecs-svc/…`).
    public var id: String
    /// PRIMARY, ACTIVE or INACTIVE.
    public var status: DeploymentStatus
    /// The task definition it rolls out.
    public var taskDefinition: String
    /// IN_PROGRESS, COMPLETED or FAILED.
    public var rolloutState: RolloutState
    /// Why it is in that state (ECS's words).
    public var rolloutStateReason: String
    /// How many tasks it should run.
    public var desiredCount: Int
    /// How many of its tasks run.
    public var runningCount: Int
    /// How many of its tasks failed to start or stopped failing.
    public var failedTasks: Int
    /// When the platform started it.
    public var createdAt: Date?
    /// A deployment.
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
    /// The revision to run; nil keeps the current one.
    public var taskDefinition: String?
    /// How many tasks to run; nil keeps the current number.
    public var desiredCount: Int?
    /// Upper limit of running tasks during a deployment, in percent of desired.
    public var maximumPercent: Int?
    /// Lower limit of healthy tasks during a deployment, in percent of desired.
    public var minimumHealthyPercent: Int?
    /// Start a new deployment even when the task definition does not change (fresh tasks).
    public var forceNewDeployment = false
    /// ECS's deployment circuit breaker: enable, and roll back on failure.
    public var circuitBreaker: (enable: Bool, rollback: Bool)? {
        get { circuitBreakerEnable.map { ($0, circuitBreakerRollback) } }
        set {
            circuitBreakerEnable = newValue?.enable
            circuitBreakerRollback = newValue?.rollback ?? false
        }
    }
    private var circuitBreakerEnable: Bool?
    private var circuitBreakerRollback = false

    /// An update of the revision and/or the count.
    public init(taskDefinition: String? = nil, desiredCount: Int? = nil) {
        self.taskDefinition = taskDefinition
        self.desiredCount = desiredCount
    }
}

/// An alarm's state.
public struct AlarmState: Sendable, Hashable {
    /// The alarm's name.
    public var name: String
    /// OK, ALARM or INSUFFICIENT_DATA.
    public var state: AlarmStateValue
    /// The platform's reason for the state.
    public var reason: String
    /// When the state began, by the platform's clock.
    public var updatedAt: Date?
    /// An alarm's state.
    public init(name: String, state: AlarmStateValue, reason: String, updatedAt: Date?) {
        self.name = name
        self.state = state
        self.reason = reason
        self.updatedAt = updatedAt
    }
}

/// Where an alias record points.
public struct AliasTarget: Sendable, Hashable {
    /// The name the alias resolves to.
    public var dnsName: String
    /// The hosted zone of that name.
    public var hostedZoneID: String
    /// Whether Route 53 checks the target's health.
    public var evaluateTargetHealth: Bool
    /// An alias target.
    public init(dnsName: String, hostedZoneID: String, evaluateTargetHealth: Bool) {
        self.dnsName = dnsName
        self.hostedZoneID = hostedZoneID
        self.evaluateTargetHealth = evaluateTargetHealth
    }
}

/// Holds the run's deployment target in `StageContext.services`.
public struct DeploymentTargetBox: Sendable {
    /// The target.
    public let target: any DeploymentTarget
    /// Wraps a target.
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
