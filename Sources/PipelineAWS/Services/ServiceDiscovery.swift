import Foundation

/// AWS Cloud Map (awsJson1_1, `Route53AutoNaming_v20170314`).
package struct ServiceDiscovery: Sendable {
    let client: AWSClient
    package init(client: AWSClient) { self.client = client }

    package struct Namespace: Codable, Sendable, Hashable {
        package struct DnsProperties: Codable, Sendable, Hashable { package var HostedZoneId: String? }
        package struct Properties: Codable, Sendable, Hashable { package var DnsProperties: DnsProperties? }
        package var Id: String
        package var Arn: String?
        package var Name: String
        package var `Type`: String?
        package var Properties: Properties?
    }

    package struct Service: Codable, Sendable, Hashable {
        package var Id: String
        package var Arn: String?
        package var Name: String
        package var NamespaceId: String?
    }

    package struct Instance: Codable, Sendable, Hashable {
        package var Id: String
        package var Attributes: [String: String]?
    }

    private func call<I: Encodable, O: Decodable>(_ operation: String, _ input: I) async throws -> O {
        try await client.json(
            .serviceDiscovery, targetPrefix: "Route53AutoNaming_v20170314", version: "1.1", operation: operation, input)
    }

    package func getNamespace(id: String) async throws -> Namespace {
        struct Input: Encodable { var Id: String }
        struct Output: Decodable { var Namespace: Namespace }
        let output: Output = try await call("GetNamespace", Input(Id: id))
        return output.Namespace
    }

    package func getService(id: String) async throws -> Service {
        struct Input: Encodable { var Id: String }
        struct Output: Decodable { var Service: Service }
        let output: Output = try await call("GetService", Input(Id: id))
        return output.Service
    }

    /// Services of a namespace, every page.
    package func listServices(namespaceID: String) async throws -> [Service] {
        struct Filter: Encodable {
            var Name = "NAMESPACE_ID"
            var Values: [String]
            var Condition = "EQ"
        }
        struct Input: Encodable {
            var Filters: [Filter]
            var NextToken: String?
        }
        struct Output: Decodable {
            var Services: [Service]?
            var NextToken: String?
        }
        return try await paginate { token in
            let output: Output = try await call(
                "ListServices", Input(Filters: [Filter(Values: [namespaceID])], NextToken: token))
            return (output.Services ?? [], output.NextToken)
        }
    }

    /// The service of a namespace with a name; checks each candidate's namespace with GetService,
    /// as list summaries do not carry it.
    package func findService(namespaceID: String, name: String) async throws -> Service? {
        for candidate in try await listServices(namespaceID: namespaceID) where candidate.Name == name {
            let service = try await getService(id: candidate.Id)
            if service.NamespaceId == namespaceID { return service }
        }
        return nil
    }

    /// Instances of a service, every page.
    package func listInstances(serviceID: String) async throws -> [Instance] {
        struct Input: Encodable {
            var ServiceId: String
            var NextToken: String?
        }
        struct Output: Decodable {
            var Instances: [Instance]?
            var NextToken: String?
        }
        return try await paginate { token in
            let output: Output = try await call("ListInstances", Input(ServiceId: serviceID, NextToken: token))
            return (output.Instances ?? [], output.NextToken)
        }
    }
}
