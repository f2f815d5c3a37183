import Foundation
import PipelineCore

/// Amazon ECS (awsJson1_1, `AmazonEC2ContainerServiceV20141113`).
package struct ECS: Sendable {
    let client: AWSClient
    package init(client: AWSClient) { self.client = client }

    private func call<I: Encodable, O: Decodable>(_ operation: String, _ input: I, idempotent: Bool = true) async throws
        -> O
    {
        try await client.json(
            .ecs, targetPrefix: "AmazonEC2ContainerServiceV20141113", version: "1.1", operation: operation, input,
            idempotent: idempotent)
    }

    private struct Empty: Codable {}

    /// Registers a task definition document (as RegisterTaskDefinition takes it) with tags.
    /// Not idempotent: the client does not repeat it once it may have reached ECS.
    package func registerTaskDefinition(_ document: JSONValue, tags: [Tag]) async throws -> TaskDefinition {
        guard case .object(var fields) = document else {
            throw AWSError(
                service: "ECS", operation: "RegisterTaskDefinition", status: 0, code: "InvalidInput",
                message: "the task definition is not a JSON object")
        }
        if !tags.isEmpty {
            // The template's own tags stay; the engine's (pipeline:*) win on the same key.
            let given = Set(tags.map(\.key))
            let own = (fields["tags"]?.arrayValue ?? []).filter { !given.contains($0["key"]?.stringValue ?? "") }
            fields["tags"] = .array(
                own + tags.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
        }
        struct Output: Decodable { var taskDefinition: TaskDefinition }
        let output: Output = try await call("RegisterTaskDefinition", JSONValue.object(fields), idempotent: false)
        return output.taskDefinition
    }

    /// A task definition by family (latest ACTIVE revision), `family:revision`, or ARN; nil when it does not exist.
    package func describeTaskDefinition(_ name: String) async throws -> (TaskDefinition, [Tag])? {
        struct Input: Encodable {
            var taskDefinition: String
            var include = ["TAGS"]
        }
        struct Output: Decodable {
            var taskDefinition: TaskDefinition
            var tags: [Tag]?
        }
        do {
            let output: Output = try await call("DescribeTaskDefinition", Input(taskDefinition: name))
            return (output.taskDefinition, output.tags ?? [])
        } catch let error as AWSError
            where error.code == "ClientException" && error.message.lowercased().contains("unable to describe")
        {
            return nil
        }
    }

    /// Task definition ARNs of a family, newest first, every page.
    package func listTaskDefinitions(familyPrefix: String, status: String = "ACTIVE", limit: Int = 1000) async throws
        -> [String]
    {
        struct Input: Encodable {
            var familyPrefix: String
            var status: String
            var sort = "DESC"
            var nextToken: String?
        }
        struct Output: Decodable {
            var taskDefinitionArns: [String]?
            var nextToken: String?
        }
        let arns: [String] = try await paginate(limit: limit) { token in
            let output: Output = try await call(
                "ListTaskDefinitions", Input(familyPrefix: familyPrefix, status: status, nextToken: token))
            return (output.taskDefinitionArns ?? [], output.nextToken)
        }
        // Newest first, whatever order the endpoint used.
        func revision(_ arn: String) -> Int { Int(arn.split(separator: ":").last ?? "") ?? 0 }
        return arns.sorted { revision($0) > revision($1) }
    }

    /// Services by name or ARN; missing ones are returned as failures.
    package func describeServices(cluster: String, services: [String]) async throws -> ([Service], [Failure]) {
        struct Input: Encodable {
            var cluster: String
            var services: [String]
        }
        struct Output: Decodable {
            var services: [Service]?
            var failures: [Failure]?
        }
        var found: [Service] = []
        var failures: [Failure] = []
        // DescribeServices takes at most 10 services per call.
        for start in stride(from: 0, to: services.count, by: 10) {
            let chunk = Array(services[start..<min(start + 10, services.count)])
            let output: Output = try await call("DescribeServices", Input(cluster: cluster, services: chunk))
            found += output.services ?? []
            failures += output.failures ?? []
        }
        return (found, failures)
    }

    /// One service, nil when it does not exist or is INACTIVE.
    package func describeService(cluster: String, service: String) async throws -> Service? {
        let (services, _) = try await describeServices(cluster: cluster, services: [service])
        return services.first { $0.status != "INACTIVE" }
    }

    package func createService(_ input: CreateServiceInput) async throws -> Service {
        struct Output: Decodable { var service: Service }
        let output: Output = try await call("CreateService", input)
        return output.service
    }

    package func updateService(_ input: UpdateServiceInput) async throws -> Service {
        struct Output: Decodable { var service: Service }
        let output: Output = try await call("UpdateService", input)
        return output.service
    }

    /// Task ARNs of a service, every page.
    package func listTasks(cluster: String, serviceName: String, desiredStatus: String = "RUNNING") async throws
        -> [String]
    {
        struct Input: Encodable {
            var cluster: String
            var serviceName: String
            var desiredStatus: String
            var nextToken: String?
        }
        struct Output: Decodable {
            var taskArns: [String]?
            var nextToken: String?
        }
        return try await paginate { token in
            let output: Output = try await call(
                "ListTasks",
                Input(cluster: cluster, serviceName: serviceName, desiredStatus: desiredStatus, nextToken: token))
            return (output.taskArns ?? [], output.nextToken)
        }
    }

    package func describeTasks(cluster: String, tasks: [String]) async throws -> [Task] {
        struct Input: Encodable {
            var cluster: String
            var tasks: [String]
        }
        struct Output: Decodable { var tasks: [Task]? }
        var out: [Task] = []
        for start in stride(from: 0, to: tasks.count, by: 100) {
            let output: Output = try await call(
                "DescribeTasks", Input(cluster: cluster, tasks: Array(tasks[start..<min(start + 100, tasks.count)])))
            out += output.tasks ?? []
        }
        return out
    }

    /// The service deployments of a service with these statuses, newest first.
    package func listServiceDeployments(cluster: String, service: String, status: [String]) async throws
        -> [ServiceDeployment]
    {
        struct Input: Encodable {
            var cluster: String
            var service: String
            var status: [String]
        }
        struct Output: Decodable { var serviceDeployments: [ServiceDeployment]? }
        let output: Output = try await call(
            "ListServiceDeployments", Input(cluster: cluster, service: service, status: status))
        return (output.serviceDeployments ?? []).sorted {
            ($0.createdAt ?? .distantPast) > ($1.createdAt ?? .distantPast)
        }
    }

    package func describeServiceDeployment(arn: String) async throws -> ServiceDeployment? {
        struct Input: Encodable { var serviceDeploymentArns: [String] }
        struct Output: Decodable { var serviceDeployments: [ServiceDeployment]? }
        let output: Output = try await call("DescribeServiceDeployments", Input(serviceDeploymentArns: [arn]))
        return output.serviceDeployments?.first
    }

    package func stopServiceDeployment(arn: String, stopType: String) async throws {
        struct Input: Encodable {
            var serviceDeploymentArn: String
            var stopType: String
        }
        struct Output: Decodable { var serviceDeploymentArn: String? }
        let _: Output = try await call(
            "StopServiceDeployment", Input(serviceDeploymentArn: arn, stopType: stopType), idempotent: false)
    }

    package func tagResource(arn: String, tags: [Tag]) async throws {
        struct Input: Encodable {
            var resourceArn: String
            var tags: [Tag]
        }
        let _: Empty = try await call("TagResource", Input(resourceArn: arn, tags: tags))
    }
}
