import Foundation
import PipelineCore

/// What real task definition files hold that RegisterTaskDefinition does not take, made fit before the
/// checks: the output of `aws ecs describe-task-definition` (wrapper and read-only fields), and YAML
/// numbers where the API wants strings.
extension TaskDefinitionTemplate {
    /// Fields ECS returns but does not accept (as the GitHub deploy action and ecspresso drop them).
    static let readOnlyFields: Set<String> = [
        "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
        "registeredBy", "deregisteredAt",
    ]

    /// Unwraps `{"taskDefinition": {...}, "tags": [...]}` (its tags move inside) and drops read-only fields;
    /// returns the node and what was dropped, for one warning.
    static func normalizeDescribeOutput(_ root: LocatedValue) -> (LocatedValue, dropped: [String]) {
        guard case .map(var pairs) = root.kind else { return (root, []) }
        var dropped: [String] = []
        var node = root
        if let wrapped = pairs.first(where: { $0.key == "taskDefinition" }),
            case .map(var inner) = wrapped.value.kind,
            pairs.allSatisfy({ ["taskDefinition", "tags"].contains($0.key) })
        {
            dropped.append("the {\"taskDefinition\": …} wrapper")
            if let tags = pairs.first(where: { $0.key == "tags" }), !inner.contains(where: { $0.key == "tags" }) {
                inner.append(tags)
            }
            pairs = inner
            node = wrapped.value
        }
        let before = pairs.count
        let removed = pairs.filter { readOnlyFields.contains($0.key) }.map(\.key)
        pairs.removeAll { readOnlyFields.contains($0.key) }
        dropped += removed
        guard !dropped.isEmpty || pairs.count != before else { return (root, []) }
        node.kind = .map(pairs)
        return (node, dropped)
    }

    /// YAML writes `cpu: 256` and `value: 8080` as numbers; the API wants strings for task-level `cpu` and
    /// `memory`, environment values, docker labels, log options and sysctl values.
    static func stringifyAPIStrings(_ document: JSONValue) -> JSONValue {
        guard case .object(var top) = document else { return document }
        for key in ["cpu", "memory"] { top[key] = top[key].map(scalarString) }
        if case .array(let containers)? = top["containerDefinitions"] {
            top["containerDefinitions"] = .array(
                containers.map { container in
                    guard case .object(var c) = container else { return container }
                    if case .array(let env)? = c["environment"] {
                        c["environment"] = .array(env.map { entry in mapField(entry, "value") })
                    }
                    if case .array(let controls)? = c["systemControls"] {
                        c["systemControls"] = .array(controls.map { mapField($0, "value") })
                    }
                    if case .object(let labels)? = c["dockerLabels"] {
                        c["dockerLabels"] = .object(labels.mapValues(scalarString))
                    }
                    if case .object(var log)? = c["logConfiguration"], case .object(let options)? = log["options"] {
                        log["options"] = .object(options.mapValues(scalarString))
                        c["logConfiguration"] = .object(log)
                    }
                    return .object(c)
                })
        }
        return .object(top)
    }

    private static func mapField(_ entry: JSONValue, _ key: String) -> JSONValue {
        guard case .object(var fields) = entry, let value = fields[key] else { return entry }
        fields[key] = scalarString(value)
        return .object(fields)
    }

    private static func scalarString(_ value: JSONValue) -> JSONValue {
        switch value {
        case .int(let i): return .string(String(i))
        case .double(let d): return .string(OutputValue.number(d).description)
        case .bool(let b): return .string(b ? "true" : "false")
        default: return value
        }
    }
}
