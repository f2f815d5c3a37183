import Foundation

/// Elastic Load Balancing v2 (query protocol, version 2015-12-01).
package struct ELBv2: Sendable {
    let client: AWSClient
    package init(client: AWSClient) { self.client = client }

    package struct LoadBalancer: Sendable, Hashable {
        package var arn: String
        package var name: String
        package var dnsName: String
        package var canonicalHostedZoneID: String
        package var type: String?
    }

    package struct TargetGroup: Sendable, Hashable {
        package var arn: String
        package var name: String
        package var port: Int?
        package var protocolName: String?
        package var loadBalancerArns: [String]
    }

    package struct WeightedTargetGroup: Sendable, Hashable {
        package var targetGroupArn: String
        package var weight: Int?
        package init(targetGroupArn: String, weight: Int?) {
            self.targetGroupArn = targetGroupArn
            self.weight = weight
        }
    }

    package struct Action: Sendable, Hashable {
        package var type: String
        package var targetGroupArn: String?
        package var forward: [WeightedTargetGroup]
        package init(type: String = "forward", targetGroupArn: String? = nil, forward: [WeightedTargetGroup] = []) {
            self.type = type
            self.targetGroupArn = targetGroupArn
            self.forward = forward
        }
    }

    package struct Listener: Sendable, Hashable {
        package var arn: String
        package var loadBalancerArn: String?
        package var port: Int?
        package var protocolName: String?
        package var defaultActions: [Action]
    }

    package struct Rule: Sendable, Hashable {
        package var arn: String
        package var priority: String?
        package var isDefault: Bool
        package var actions: [Action]
    }

    package struct TargetHealth: Sendable, Hashable {
        package var id: String
        package var port: Int?
        package var state: String
        package var reason: String?
    }

    static let version = "2015-12-01"

    private func paged(_ action: String, _ parameters: [(String, String)], list: String) async throws -> [XMLNode] {
        try await paginate { marker in
            var params = parameters
            if let marker { params.append(("Marker", marker)) }
            let result = try await client.query(.elbv2, version: Self.version, action: action, params)
            return (result.list(list), result.value("NextMarker"))
        }
    }

    static func members(_ name: String, _ values: [String]) -> [(String, String)] {
        values.enumerated().map { ("\(name).member.\($0.offset + 1)", $0.element) }
    }

    package func describeLoadBalancers(names: [String] = [], arns: [String] = []) async throws -> [LoadBalancer] {
        try await paged(
            "DescribeLoadBalancers", Self.members("Names", names) + Self.members("LoadBalancerArns", arns),
            list: "LoadBalancers"
        ).map {
            LoadBalancer(
                arn: $0.value("LoadBalancerArn") ?? "", name: $0.value("LoadBalancerName") ?? "",
                dnsName: $0.value("DNSName") ?? "", canonicalHostedZoneID: $0.value("CanonicalHostedZoneId") ?? "",
                type: $0.value("Type"))
        }
    }

    package func describeTargetGroups(loadBalancerArn: String? = nil, arns: [String] = [], names: [String] = [])
        async throws -> [TargetGroup]
    {
        var params = Self.members("TargetGroupArns", arns) + Self.members("Names", names)
        if let loadBalancerArn { params.append(("LoadBalancerArn", loadBalancerArn)) }
        return try await paged("DescribeTargetGroups", params, list: "TargetGroups").map {
            TargetGroup(
                arn: $0.value("TargetGroupArn") ?? "", name: $0.value("TargetGroupName") ?? "",
                port: $0.value("Port").flatMap(Int.init), protocolName: $0.value("Protocol"),
                loadBalancerArns: $0.list("LoadBalancerArns").map(\.text))
        }
    }

    static func action(_ node: XMLNode) -> Action {
        Action(
            type: node.value("Type") ?? "", targetGroupArn: node.value("TargetGroupArn"),
            forward: node.child("ForwardConfig")?.list("TargetGroups").map {
                WeightedTargetGroup(
                    targetGroupArn: $0.value("TargetGroupArn") ?? "", weight: $0.value("Weight").flatMap(Int.init))
            } ?? [])
    }

    static func listener(_ node: XMLNode) -> Listener {
        Listener(
            arn: node.value("ListenerArn") ?? "", loadBalancerArn: node.value("LoadBalancerArn"),
            port: node.value("Port").flatMap(Int.init), protocolName: node.value("Protocol"),
            defaultActions: node.list("DefaultActions").map(action))
    }

    static func rule(_ node: XMLNode) -> Rule {
        Rule(
            arn: node.value("RuleArn") ?? "", priority: node.value("Priority"),
            isDefault: node.value("IsDefault") == "true",
            actions: node.list("Actions").map(action))
    }

    package func describeListeners(loadBalancerArn: String) async throws -> [Listener] {
        try await paged("DescribeListeners", [("LoadBalancerArn", loadBalancerArn)], list: "Listeners").map(
            Self.listener)
    }

    /// One listener's default actions.
    package func describeListenerActions(arn: String) async throws -> [Action] {
        let result = try await client.query(
            .elbv2, version: Self.version, action: "DescribeListeners", Self.members("ListenerArns", [arn]))
        return result.list("Listeners").first.map(Self.listener)?.defaultActions ?? []
    }

    /// One rule's actions.
    package func describeRuleActions(arn: String) async throws -> [Action] {
        let result = try await client.query(
            .elbv2, version: Self.version, action: "DescribeRules", Self.members("RuleArns", [arn]))
        return result.list("Rules").first.map(Self.rule)?.actions ?? []
    }

    package func describeRules(listenerArn: String) async throws -> [Rule] {
        try await paged("DescribeRules", [("ListenerArn", listenerArn)], list: "Rules").map(Self.rule)
    }

    static func actionParameters(_ prefix: String, _ actions: [Action]) -> [(String, String)] {
        var out: [(String, String)] = []
        for (i, action) in actions.enumerated() {
            let p = "\(prefix).member.\(i + 1)"
            out.append(("\(p).Type", action.type))
            if let arn = action.targetGroupArn { out.append(("\(p).TargetGroupArn", arn)) }
            for (j, tg) in action.forward.enumerated() {
                let q = "\(p).ForwardConfig.TargetGroups.member.\(j + 1)"
                out.append(("\(q).TargetGroupArn", tg.targetGroupArn))
                if let weight = tg.weight { out.append(("\(q).Weight", String(weight))) }
            }
        }
        return out
    }

    package func modifyListener(arn: String, defaultActions: [Action]) async throws -> Listener? {
        let result = try await client.query(
            .elbv2, version: Self.version, action: "ModifyListener",
            [("ListenerArn", arn)] + Self.actionParameters("DefaultActions", defaultActions))
        return result.list("Listeners").first.map(Self.listener)
    }

    package func modifyRule(arn: String, actions: [Action]) async throws -> Rule? {
        let result = try await client.query(
            .elbv2, version: Self.version, action: "ModifyRule",
            [("RuleArn", arn)] + Self.actionParameters("Actions", actions))
        return result.list("Rules").first.map(Self.rule)
    }

    package func describeTargetHealth(targetGroupArn: String) async throws -> [TargetHealth] {
        let result = try await client.query(
            .elbv2, version: Self.version, action: "DescribeTargetHealth", [("TargetGroupArn", targetGroupArn)])
        return result.list("TargetHealthDescriptions").map {
            TargetHealth(
                id: $0.child("Target")?.value("Id") ?? "", port: $0.child("Target")?.value("Port").flatMap(Int.init),
                state: $0.child("TargetHealth")?.value("State") ?? "", reason: $0.child("TargetHealth")?.value("Reason")
            )
        }
    }
}
