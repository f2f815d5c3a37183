import Foundation
import PipelineCore

extension AWSDeploymentTarget {
    /// The listener rules and default actions of the target group's load balancers that forward to it.
    package func trafficRoutes(targetGroup: String) async throws -> [TrafficRoute] {
        guard let group = try await elb.describeTargetGroups(arns: [targetGroup]).first else {
            throw StageFailure("target group \(targetGroup) does not exist")
        }
        var routes: [TrafficRoute] = []
        for balancer in group.loadBalancerArns {
            for listener in try await elb.describeListeners(loadBalancerArn: balancer) {
                for rule in try await elb.describeRules(listenerArn: listener.arn) {
                    // The default rule is the listener's default action: routed through ModifyListener.
                    let isDefault = rule.isDefault
                    let actions = isDefault ? listener.defaultActions : rule.actions
                    guard let forward = Self.forward(actions),
                        forward.contains(where: { $0.targetGroup == targetGroup })
                    else { continue }
                    routes.append(
                        TrafficRoute(
                            id: isDefault ? listener.arn : rule.arn, isListenerDefault: isDefault, forward: forward))
                }
            }
        }
        return routes
    }

    /// The forward of a rule's actions (the last action, after any authenticate ones), as weights.
    static func forward(_ actions: [ELBv2.Action]) -> [WeightedTarget]? {
        guard let action = actions.last, action.type == "forward" else { return nil }
        if !action.forward.isEmpty {
            return action.forward.map { WeightedTarget(targetGroup: $0.targetGroupArn, weight: $0.weight) }
        }
        return action.targetGroupArn.map { [WeightedTarget(targetGroup: $0, weight: nil)] }
    }

    package func setTraffic(_ route: TrafficRoute, to forward: [WeightedTarget]) async throws {
        // A single target group without a weight is written back as the plain forward it was.
        let action =
            forward.count == 1 && forward[0].weight == nil
            ? ELBv2.Action(targetGroupArn: forward[0].targetGroup)
            : ELBv2.Action(
                forward: forward.map { ELBv2.WeightedTargetGroup(targetGroupArn: $0.targetGroup, weight: $0.weight) })
        if route.isListenerDefault {
            let current = try await elb.describeListenerActions(arn: route.id)
            _ = try await elb.modifyListener(
                arn: route.id, defaultActions: Self.replacingForward(current, with: action))
        } else {
            let current = try await elb.describeRuleActions(arn: route.id)
            _ = try await elb.modifyRule(arn: route.id, actions: Self.replacingForward(current, with: action))
        }
    }

    /// A listener's default actions with the forward replaced (authenticate actions before it stay).
    static func replacingForward(_ actions: [ELBv2.Action], with action: ELBv2.Action) -> [ELBv2.Action] {
        guard !actions.isEmpty else { return [action] }
        return Array(actions.dropLast()) + [action]
    }
}
