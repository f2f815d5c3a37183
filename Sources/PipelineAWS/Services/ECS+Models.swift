import Foundation
import PipelineCore

/// ECS request and response models (awsJson1_1; field names as ECS writes them).
extension ECS {
    /// `key`/`value` tag.
    package struct Tag: Codable, Sendable, Hashable {
        package var key: String
        package var value: String
        package init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A registered task definition: the full document as ECS returns it, with typed accessors.
    package struct TaskDefinition: Codable, Sendable, Hashable {
        /// Everything ECS returned.
        package var document: JSONValue
        package init(document: JSONValue) { self.document = document }
        package init(from decoder: any Decoder) throws { document = try JSONValue(from: decoder) }
        package func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }

        package var arn: String { document["taskDefinitionArn"]?.stringValue ?? "" }
        package var family: String { document["family"]?.stringValue ?? "" }
        package var revision: Int { Int(document["revision"]?.intValue ?? 0) }
        package var status: String { document["status"]?.stringValue ?? "" }
    }

    package struct LoadBalancer: Codable, Sendable, Hashable {
        package var targetGroupArn: String?
        package var loadBalancerName: String?
        package var containerName: String?
        package var containerPort: Int?
        package var advancedConfiguration: AdvancedConfiguration?
        package init(
            targetGroupArn: String?, loadBalancerName: String? = nil, containerName: String?, containerPort: Int?
        ) {
            self.targetGroupArn = targetGroupArn
            self.loadBalancerName = loadBalancerName
            self.containerName = containerName
            self.containerPort = containerPort
        }
    }

    package struct ServiceRegistry: Codable, Sendable, Hashable {
        package var registryArn: String?
        package var port: Int?
        package var containerName: String?
        package var containerPort: Int?
    }

    package struct AwsVpcConfiguration: Codable, Sendable, Hashable {
        package var subnets: [String]
        package var securityGroups: [String]?
        package var assignPublicIp: String?
    }

    package struct NetworkConfiguration: Codable, Sendable, Hashable {
        package var awsvpcConfiguration: AwsVpcConfiguration?
    }

    package struct CapacityProviderStrategyItem: Codable, Sendable, Hashable {
        package var capacityProvider: String
        package var weight: Int?
        package var base: Int?
    }

    package struct CircuitBreaker: Codable, Sendable, Hashable {
        package var enable: Bool
        package var rollback: Bool
        package init(enable: Bool, rollback: Bool) {
            self.enable = enable
            self.rollback = rollback
        }
    }

    package struct DeploymentConfiguration: Codable, Sendable, Hashable {
        package var maximumPercent: Int?
        package var minimumHealthyPercent: Int?
        package var deploymentCircuitBreaker: CircuitBreaker?
        /// ROLLING, BLUE_GREEN, LINEAR or CANARY.
        package var strategy: String?
        package var bakeTimeInMinutes: Int?
        package var canaryConfiguration: CanaryConfiguration?
        package var linearConfiguration: LinearConfiguration?
        package var alarms: DeploymentAlarms?
        package init(maximumPercent: Int?, minimumHealthyPercent: Int?, deploymentCircuitBreaker: CircuitBreaker?) {
            self.maximumPercent = maximumPercent
            self.minimumHealthyPercent = minimumHealthyPercent
            self.deploymentCircuitBreaker = deploymentCircuitBreaker
        }
    }

    package struct CanaryConfiguration: Codable, Sendable, Hashable {
        package var canaryPercent: Double?
        package var canaryBakeTimeInMinutes: Int?
    }

    package struct LinearConfiguration: Codable, Sendable, Hashable {
        package var stepPercent: Double?
        package var stepBakeTimeInMinutes: Int?
    }

    package struct DeploymentAlarms: Codable, Sendable, Hashable {
        package var alarmNames: [String]
        package var enable: Bool
        package var rollback: Bool
    }

    /// A load balancer's blue/green settings (`loadBalancers[].advancedConfiguration`).
    package struct AdvancedConfiguration: Codable, Sendable, Hashable {
        package var alternateTargetGroupArn: String?
        package var productionListenerRule: String?
        package var testListenerRule: String?
        package var roleArn: String?
    }

    /// A service deployment (ListServiceDeployments / DescribeServiceDeployments).
    package struct ServiceDeployment: Codable, Sendable, Hashable {
        package var serviceDeploymentArn: String
        package var status: String?
        package var statusReason: String?
        package var lifecycleStage: String?
        package var targetServiceRevisionArn: String?
        package var createdAt: Date?
        package var startedAt: Date?
    }

    /// One deployment of a service.
    package struct Deployment: Codable, Sendable, Hashable {
        package var id: String
        /// PRIMARY, ACTIVE or INACTIVE.
        package var status: String
        package var taskDefinition: String
        package var desiredCount: Int?
        package var runningCount: Int?
        package var pendingCount: Int?
        package var failedTasks: Int?
        /// IN_PROGRESS, COMPLETED or FAILED.
        package var rolloutState: String?
        package var rolloutStateReason: String?
        package var createdAt: Date?
        package var updatedAt: Date?
    }

    package struct Service: Codable, Sendable, Hashable {
        package var serviceArn: String?
        package var serviceName: String
        package var clusterArn: String?
        package var status: String?
        package var desiredCount: Int?
        package var runningCount: Int?
        package var pendingCount: Int?
        package var taskDefinition: String?
        package var launchType: String?
        package var platformVersion: String?
        package var capacityProviderStrategy: [CapacityProviderStrategyItem]?
        package var loadBalancers: [LoadBalancer]?
        package var serviceRegistries: [ServiceRegistry]?
        package var networkConfiguration: NetworkConfiguration?
        package var deploymentConfiguration: DeploymentConfiguration?
        package var deployments: [Deployment]?
        package var events: [ServiceEvent]?
    }

    /// One of a service's events.
    package struct ServiceEvent: Codable, Sendable, Hashable {
        package var id: String?
        package var createdAt: Date?
        package var message: String?
    }

    package struct Failure: Codable, Sendable, Hashable {
        package var arn: String?
        package var reason: String?
        package var detail: String?
    }

    package struct Task: Codable, Sendable, Hashable {
        package var taskArn: String
        package var lastStatus: String?
        package var desiredStatus: String?
        package var taskDefinitionArn: String?
        package var stoppedReason: String?
        /// TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, ...
        package var stopCode: String?
        package var group: String?
        /// The deployment that started it (`ecs-svc/...`) for tasks of a service.
        package var startedBy: String?
        /// HEALTHY, UNHEALTHY or UNKNOWN.
        package var healthStatus: String?
        package var containers: [Container]?
        package var attachments: [Attachment]?
    }

    package struct Container: Codable, Sendable, Hashable {
        package var name: String?
        package var lastStatus: String?
        package var exitCode: Int?
        package var reason: String?
        package var healthStatus: String?
        package var networkBindings: [NetworkBinding]?
    }

    package struct NetworkBinding: Codable, Sendable, Hashable {
        package var containerPort: Int?
        package var hostPort: Int?
    }

    package struct Attachment: Codable, Sendable, Hashable {
        package struct Detail: Codable, Sendable, Hashable {
            package var name: String?
            package var value: String?
        }
        package var type: String?
        package var details: [Detail]?
    }

    package struct CreateServiceInput: Encodable, Sendable {
        package var cluster: String
        package var serviceName: String
        package var taskDefinition: String
        package var desiredCount: Int
        package var loadBalancers: [LoadBalancer]?
        package var serviceRegistries: [ServiceRegistry]?
        package var networkConfiguration: NetworkConfiguration?
        package var launchType: String?
        package var capacityProviderStrategy: [CapacityProviderStrategyItem]?
        package var platformVersion: String?
        package var deploymentConfiguration: DeploymentConfiguration?
        /// Makes a retried CreateService safe: ECS answers the same service for the same token.
        package var clientToken: String?
        package var tags: [Tag]?

        package init(cluster: String, serviceName: String, taskDefinition: String, desiredCount: Int) {
            self.cluster = cluster
            self.serviceName = serviceName
            self.taskDefinition = taskDefinition
            self.desiredCount = desiredCount
        }
    }

    package struct UpdateServiceInput: Encodable, Sendable {
        package var cluster: String
        package var service: String
        package var taskDefinition: String?
        package var desiredCount: Int?
        package var deploymentConfiguration: DeploymentConfiguration?
        package var forceNewDeployment: Bool?
        package var loadBalancers: [LoadBalancer]?
        package init(cluster: String, service: String) {
            self.cluster = cluster
            self.service = service
        }
    }
}
