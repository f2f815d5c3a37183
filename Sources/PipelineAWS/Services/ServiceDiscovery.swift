import Foundation

/// AWS Cloud Map (awsJson1_1, `Route53AutoNaming_v20170314`).
public struct ServiceDiscovery: Sendable {
    let client: AWSClient
    public init(client: AWSClient) { self.client = client }

    public struct Namespace: Codable, Sendable, Hashable {
        public struct DnsProperties: Codable, Sendable, Hashable { public var HostedZoneId: String? }
        public struct Properties: Codable, Sendable, Hashable { public var DnsProperties: DnsProperties? }
        public var Id: String
        public var Arn: String?
        public var Name: String
        public var `Type`: String?
        public var Properties: Properties?
    }

    public struct Service: Codable, Sendable, Hashable {
        public var Id: String
        public var Arn: String?
        public var Name: String
        public var NamespaceId: String?
    }

    public struct Instance: Codable, Sendable, Hashable {
        public var Id: String
        public var Attributes: [String: String]?
    }

    private func call<I: Encodable, O: Decodable>(_ operation: String, _ input: I) async throws -> O {
        try await client.json(
            .serviceDiscovery, targetPrefix: "Route53AutoNaming_v20170314", version: "1.1", operation: operation, input)
    }

    public func getNamespace(id: String) async throws -> Namespace {
        struct Input: Encodable { var Id: String }
        struct Output: Decodable { var Namespace: Namespace }
        let output: Output = try await call("GetNamespace", Input(Id: id))
        return output.Namespace
    }

    public func getService(id: String) async throws -> Service {
        struct Input: Encodable { var Id: String }
        struct Output: Decodable { var Service: Service }
        let output: Output = try await call("GetService", Input(Id: id))
        return output.Service
    }

    /// Services of a namespace, every page.
    public func listServices(namespaceID: String) async throws -> [Service] {
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
    public func findService(namespaceID: String, name: String) async throws -> Service? {
        for candidate in try await listServices(namespaceID: namespaceID) where candidate.Name == name {
            let service = try await getService(id: candidate.Id)
            if service.NamespaceId == namespaceID { return service }
        }
        return nil
    }

    /// Instances of a service, every page.
    public func listInstances(serviceID: String) async throws -> [Instance] {
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
