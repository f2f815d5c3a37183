import Foundation
import PipelineCore

/// ECS request and response models (awsJson1_1; field names as ECS writes them).
extension ECS {
    /// `key`/`value` tag.
    public struct Tag: Codable, Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A registered task definition: the full document as ECS returns it, with typed accessors.
    public struct TaskDefinition: Codable, Sendable, Hashable {
        /// Everything ECS returned.
        public var document: JSONValue
        public init(document: JSONValue) { self.document = document }
        public init(from decoder: any Decoder) throws { document = try JSONValue(from: decoder) }
        public func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }

        public var arn: String { document["taskDefinitionArn"]?.stringValue ?? "" }
        public var family: String { document["family"]?.stringValue ?? "" }
        public var revision: Int { Int(document["revision"]?.intValue ?? 0) }
        public var status: String { document["status"]?.stringValue ?? "" }
    }

    public struct LoadBalancer: Codable, Sendable, Hashable {
        public var targetGroupArn: String?
        public var loadBalancerName: String?
        public var containerName: String?
        public var containerPort: Int?
        public init(
            targetGroupArn: String?, loadBalancerName: String? = nil, containerName: String?, containerPort: Int?
        ) {
            self.targetGroupArn = targetGroupArn
            self.loadBalancerName = loadBalancerName
            self.containerName = containerName
            self.containerPort = containerPort
        }
    }

    public struct ServiceRegistry: Codable, Sendable, Hashable {
        public var registryArn: String?
        public var port: Int?
        public var containerName: String?
        public var containerPort: Int?
    }

    public struct AwsVpcConfiguration: Codable, Sendable, Hashable {
        public var subnets: [String]
        public var securityGroups: [String]?
        public var assignPublicIp: String?
    }

    public struct NetworkConfiguration: Codable, Sendable, Hashable {
        public var awsvpcConfiguration: AwsVpcConfiguration?
    }

    public struct CapacityProviderStrategyItem: Codable, Sendable, Hashable {
        public var capacityProvider: String
        public var weight: Int?
        public var base: Int?
    }

    public struct CircuitBreaker: Codable, Sendable, Hashable {
        public var enable: Bool
        public var rollback: Bool
        public init(enable: Bool, rollback: Bool) {
            self.enable = enable
            self.rollback = rollback
        }
    }

    public struct DeploymentConfiguration: Codable, Sendable, Hashable {
        public var maximumPercent: Int?
        public var minimumHealthyPercent: Int?
        public var deploymentCircuitBreaker: CircuitBreaker?
        public init(maximumPercent: Int?, minimumHealthyPercent: Int?, deploymentCircuitBreaker: CircuitBreaker?) {
            self.maximumPercent = maximumPercent
            self.minimumHealthyPercent = minimumHealthyPercent
            self.deploymentCircuitBreaker = deploymentCircuitBreaker
        }
    }

    /// One deployment of a service.
    public struct Deployment: Codable, Sendable, Hashable {
        public var id: String
        /// PRIMARY, ACTIVE or INACTIVE.
        public var status: String
        public var taskDefinition: String
        public var desiredCount: Int?
        public var runningCount: Int?
        public var pendingCount: Int?
        public var failedTasks: Int?
        /// IN_PROGRESS, COMPLETED or FAILED.
        public var rolloutState: String?
        public var rolloutStateReason: String?
        public var createdAt: Date?
        public var updatedAt: Date?
    }

    public struct Service: Codable, Sendable, Hashable {
        public var serviceArn: String?
        public var serviceName: String
        public var clusterArn: String?
        public var status: String?
        public var desiredCount: Int?
        public var runningCount: Int?
        public var pendingCount: Int?
        public var taskDefinition: String?
        public var launchType: String?
        public var platformVersion: String?
        public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
        public var loadBalancers: [LoadBalancer]?
        public var serviceRegistries: [ServiceRegistry]?
        public var networkConfiguration: NetworkConfiguration?
        public var deploymentConfiguration: DeploymentConfiguration?
        public var deployments: [Deployment]?
    }

    public struct Failure: Codable, Sendable, Hashable {
        public var arn: String?
        public var reason: String?
        public var detail: String?
    }

    public struct Task: Codable, Sendable, Hashable {
        public var taskArn: String
        public var lastStatus: String?
        public var desiredStatus: String?
        public var taskDefinitionArn: String?
        public var stoppedReason: String?
        /// TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, ...
        public var stopCode: String?
        public var group: String?
        /// The deployment that started it (`ecs-svc/...`) for tasks of a service.
        public var startedBy: String?
        /// HEALTHY, UNHEALTHY or UNKNOWN.
        public var healthStatus: String?
        public var containers: [Container]?
        public var attachments: [Attachment]?
    }

    public struct Container: Codable, Sendable, Hashable {
        public var name: String?
        public var lastStatus: String?
        public var exitCode: Int?
        public var reason: String?
        public var healthStatus: String?
        public var networkBindings: [NetworkBinding]?
    }

    public struct NetworkBinding: Codable, Sendable, Hashable {
        public var containerPort: Int?
        public var hostPort: Int?
    }

    public struct Attachment: Codable, Sendable, Hashable {
        public struct Detail: Codable, Sendable, Hashable {
            public var name: String?
            public var value: String?
        }
        public var type: String?
        public var details: [Detail]?
    }

    public struct CreateServiceInput: Encodable, Sendable {
        public var cluster: String
        public var serviceName: String
        public var taskDefinition: String
        public var desiredCount: Int
        public var loadBalancers: [LoadBalancer]?
        public var serviceRegistries: [ServiceRegistry]?
        public var networkConfiguration: NetworkConfiguration?
        public var launchType: String?
        public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
        public var platformVersion: String?
        public var deploymentConfiguration: DeploymentConfiguration?
        /// Makes a retried CreateService safe: ECS answers the same service for the same token.
        public var clientToken: String?
        public var tags: [Tag]?

        public init(cluster: String, serviceName: String, taskDefinition: String, desiredCount: Int) {
            self.cluster = cluster
            self.serviceName = serviceName
            self.taskDefinition = taskDefinition
            self.desiredCount = desiredCount
        }
    }

    public struct UpdateServiceInput: Encodable, Sendable {
        public var cluster: String
        public var service: String
        public var taskDefinition: String?
        public var desiredCount: Int?
        public var deploymentConfiguration: DeploymentConfiguration?
        public var forceNewDeployment: Bool?
        public init(cluster: String, service: String) {
            self.cluster = cluster
            self.service = service
        }
    }
}
