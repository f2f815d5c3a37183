import Foundation
import PipelineCore

/// Renders and checks an ECS task definition template (JSON or YAML) from the commit.
enum TaskDefinitionTemplate {
    static let topLevelFields: Set<String> = [
        "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "placementConstraints", "requiresCompatibilities", "cpu", "memory", "tags", "pidMode", "ipcMode",
        "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform", "enableFaultInjection",
    ]
    static let containerFields: Set<String> = [
        "name", "image", "repositoryCredentials", "cpu", "memory", "memoryReservation", "links", "portMappings",
        "essential", "restartPolicy", "entryPoint", "command", "environment", "environmentFiles", "mountPoints",
        "volumesFrom", "linuxParameters", "secrets", "dependsOn", "startTimeout", "stopTimeout", "versionConsistency",
        "hostname", "user", "workingDirectory", "disableNetworking", "privileged", "readonlyRootFilesystem",
        "dnsServers", "dnsSearchDomains", "extraHosts", "dockerSecurityOptions", "interactive", "pseudoTerminal",
        "dockerLabels", "ulimits", "logConfiguration", "healthCheck", "systemControls", "resourceRequirements",
        "firelensConfiguration", "credentialSpecs",
    ]
    static let portMappingFields: Set<String> = [
        "containerPort", "hostPort", "protocol", "name", "appProtocol", "containerPortRange",
    ]
    static let healthCheckFields: Set<String> = ["command", "interval", "timeout", "retries", "startPeriod"]

    /// The valid Fargate memory sizes (MiB) for each cpu value (units).
    static let fargateMemory: [Int: [Int]] = [
        256: [512, 1024, 2048],
        512: Array(stride(from: 1024, through: 4096, by: 1024)),
        1024: Array(stride(from: 2048, through: 8192, by: 1024)),
        2048: Array(stride(from: 4096, through: 16384, by: 1024)),
        4096: Array(stride(from: 8192, through: 30720, by: 1024)),
        8192: Array(stride(from: 16384, through: 61440, by: 4096)),
        16384: Array(stride(from: 32768, through: 122_880, by: 8192)),
    ]

    struct Problems: Error {
        var diagnostics: [Diagnostic]
    }

    /// A rendered template and what was dropped from it on the way (for one warning).
    struct Rendered {
        var document: JSONValue
        var dropped: [String]
    }

    /// Reads, renders and validates; returns the document, or throws `PipelineError` with every problem.
    static func render(
        path: String, source: any SourceTree, scope: ExpressionScope, image: String?, container: String?,
        environment: [String: String]
    ) throws -> Rendered {
        let text = try source.readText(path)
        let parsed = try LocatedValue.parse(yaml: text, file: path, maxBytes: InputLimits.templateBytes)
        let (root, dropped) = normalizeDescribeOutput(parsed)
        var problems: [Diagnostic] = []
        var document = stringifyAPIStrings(convert(root, path: "", scope: scope, problems: &problems))
        if problems.isEmpty { check(root, &problems) }
        if problems.isEmpty {
            do {
                document = try apply(document, image: image, container: container, environment: environment, file: path)
            } catch let e as StageFailure {
                problems.append(Diagnostic(location: root.location, path: "", message: e.message))
            }
        }
        if problems.isEmpty { problems += limits(document, root: root) }
        if !problems.isEmpty {
            throw PipelineError(
                .invalidInput,
                "task definition template \(path): \(problems.count) problem\(problems.count == 1 ? "" : "s")",
                diagnostics: problems)
        }
        return Rendered(document: document, dropped: dropped)
    }

    static func convert(_ node: LocatedValue, path: String, scope: ExpressionScope, problems: inout [Diagnostic])
        -> JSONValue
    {
        switch node.kind {
        case .scalar(let text, let plain):
            if !plain || node.scalarValue.map({ if case .string = $0 { return true } else { return false } }) == true {
                do {
                    let template = try Template(parsing: text)
                    guard template.hasExpressions else { return .string(text) }
                    switch try template.evaluate(in: scope) {
                    case .string(let s): return .string(s)
                    case .number(let n): return n.rounded() == n ? .int(Int64(n)) : .double(n)
                    case .bool(let b): return .bool(b)
                    default: return .null
                    }
                } catch let e as ExpressionSyntaxError {
                    problems.append(
                        Diagnostic(location: node.location, path: path, message: "bad expression: \(e.message)"))
                } catch let e as ExpressionError {
                    problems.append(Diagnostic(location: node.location, path: path, message: e.message))
                } catch {
                    problems.append(Diagnostic(location: node.location, path: path, message: "\(error)"))
                }
                return .string(text)
            }
            switch node.scalarValue ?? .null {
            case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? .int(Int64(n)) : .double(n)
            case .bool(let b): return .bool(b)
            default: return .null
            }
        case .list(let items):
            return .array(
                items.enumerated().map {
                    convert($0.element, path: "\(path)[\($0.offset)]", scope: scope, problems: &problems)
                })
        case .map(let pairs):
            var out: [String: JSONValue] = [:]
            for pair in pairs {
                out[pair.key] = convert(
                    pair.value, path: path.isEmpty ? pair.key : "\(path).\(pair.key)", scope: scope, problems: &problems
                )
            }
            return .object(out)
        }
    }

    /// ECS's limits, checked before anything is registered: the request size and the containers.
    static func limits(_ document: JSONValue, root: LocatedValue) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let size = document.canonicalText().utf8.count
        if size > InputLimits.taskDefinitionBytes {
            problems.append(
                Diagnostic(
                    location: root.location, path: "",
                    message:
                        "the rendered task definition is \(size) bytes; ECS takes at most \(InputLimits.taskDefinitionBytes)"
                ))
        }
        if let containers = document["containerDefinitions"]?.arrayValue,
            containers.count > InputLimits.containersPerTaskDefinition
        {
            problems.append(
                Diagnostic(
                    location: root.location, path: "containerDefinitions",
                    message:
                        "\(containers.count) containers; ECS takes at most \(InputLimits.containersPerTaskDefinition) per task definition"
                ))
        }
        return problems
    }
}
