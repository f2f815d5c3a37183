import Foundation

/// A target group and its share of a route's traffic (load-balancer weights are relative: 95 and 5
/// send 95% and 5%).
public struct WeightedTarget: Sendable, Hashable, Codable {
    /// The target group (ARN on ELBv2; the service name on the local provider).
    public var targetGroup: String
    /// Its weight (0–999 on ELBv2); nil when a route forwards to it alone without weights.
    public var weight: Int?

    /// A weighted target group.
    public init(targetGroup: String, weight: Int?) {
        self.targetGroup = targetGroup
        self.weight = weight
    }

    enum CodingKeys: String, CodingKey {
        case targetGroup = "target_group"
        case weight
    }
}

/// One place that routes traffic to a target group: a listener rule, or a listener's default action.
public struct TrafficRoute: Sendable, Hashable, Codable {
    /// The rule's ARN, or the listener's for its default action.
    public var id: String
    /// True for a listener's default action.
    public var isListenerDefault: Bool
    /// Where it forwards now, and with which weights.
    public var forward: [WeightedTarget]

    /// A route.
    public init(id: String, isListenerDefault: Bool, forward: [WeightedTarget]) {
        self.id = id
        self.isListenerDefault = isListenerDefault
        self.forward = forward
    }

    enum CodingKeys: String, CodingKey {
        case id, forward
        case isListenerDefault = "listener_default"
    }

    /// The routes as one JSON text (what a weighted canary checkpoints, and what undoing it restores).
    public static func encode(_ routes: [TrafficRoute]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(routes), as: UTF8.self)
    }

    /// Routes from `encode`'s text.
    public static func decode(_ text: String) throws -> [TrafficRoute] {
        try JSONDecoder().decode([TrafficRoute].self, from: Data(text.utf8))
    }
}

extension DeploymentTarget {
    /// Unsupported: this target has no load balancer whose weights the engine can set.
    public func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        throw StageFailure("\(description) cannot shift traffic by weight")
    }

    /// Unsupported: this target has no load balancer whose weights the engine can set.
    public func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        throw StageFailure("\(description) cannot shift traffic by weight")
    }

    /// Creates a canary registered in `targetGroup` instead of the template's; without one, a copy.
    public func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int, targetGroup: String?
    ) async throws -> ServiceState {
        guard targetGroup == nil else {
            throw StageFailure("\(description) cannot register a canary in a target group of its own")
        }
        return try await createService(
            name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount)
    }
}
