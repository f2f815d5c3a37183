import Foundation
import PipelineCore

/// A pipeline's `target:` for `provider: local`, checked.
package struct LocalTargetSettings: Sendable {
    package var service: String
    package var listener: LocalListener?
    package var alarms: [AlarmSpec]
    package var desiredCount: Int

    /// A check's error as a located diagnostic (messages read "<key path>: <what is wrong>").
    static func diagnostic(_ error: PipelineError, locate: (String) -> SourceLocation?) -> Diagnostic {
        let parts = error.message.split(separator: ":", maxSplits: 1).map(String.init)
        let path = parts.count == 2 ? parts[0] : "target"
        let text = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : error.message
        return Diagnostic(location: locate(path), path: path, message: text)
    }

    /// Reads the settings; errors read "target.KEY: what is wrong".
    static func parse(_ target: TargetConfig) throws -> LocalTargetSettings {
        func fail(_ key: String, _ message: String) -> PipelineError {
            PipelineError(.invalidInput, "target.\(key): \(message)")
        }
        guard let service = target.service, !service.isEmpty else {
            throw fail("service", "is required for provider local (the service to run)")
        }
        var listener: LocalListener?
        if let value = target.value(forKey: "listener_port") {
            guard let text = value.scalarString, let port = Int(text), (1...65535).contains(port) else {
                throw fail("listener_port", "must be a port number 1–65535")
            }
            var path = target.value(forKey: "health_check_path")?.scalarString ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            listener = LocalListener(name: service, port: port, healthCheckPath: path)
        } else if target.value(forKey: "health_check_path") != nil {
            throw fail("health_check_path", "needs target.listener_port (the load balancer it configures)")
        }
        var desired = 1
        if let value = target.value(forKey: "desired_count") {
            guard let text = value.scalarString, let n = Int(text), n >= 0 else {
                throw fail("desired_count", "must be a whole number ≥ 0")
            }
            desired = n
        }
        var alarms: [AlarmSpec] = []
        if let value = target.value(forKey: "alarms") {
            guard case .list(let list) = value else { throw fail("alarms", "must be a list") }
            for (i, item) in list.enumerated() {
                alarms.append(try AlarmSpec.parse(item, listener: service, field: "target.alarms[\(i)]"))
            }
            let names = alarms.map(\.name)
            if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
                throw fail("alarms", "alarm name \(dup) appears twice")
            }
        }
        return LocalTargetSettings(service: service, listener: listener, alarms: alarms, desiredCount: desired)
    }
}

/// How the local target reads what the pipeline declares but the agent does not run (yet): used by the
/// agent-backed target under --dry-run and by the offline target when no agent runs.
extension LocalTargetSettings {
    /// The main service as it would be created: no revision, no task; nil for another name.
    func declaredService(_ name: String) -> ServiceState? {
        guard name == service else { return nil }
        return ServiceState(
            name: name, arn: "local:service/\(name)", taskDefinition: "", desiredCount: desiredCount, runningCount: 0,
            deployments: [])
    }

    /// The declared alarms named or matching `prefix`, with no data and `reason`.
    func declaredAlarms(names: [String], prefix: String?, reason: String) -> [AlarmState] {
        alarms.filter { names.contains($0.name) || prefix.map($0.name.hasPrefix) == true }
            .map { AlarmState(name: $0.name, state: .insufficientData, reason: reason, updatedAt: nil) }
    }

    /// A local "load balancer" is the listener of a main service: `load_balancer: <service>` (or an ARN
    /// ending in it).
    static func loadBalancerAlias(_ nameOrARN: String) -> AliasTarget {
        let name = nameOrARN.split(separator: "/").last.map(String.init) ?? nameOrARN
        return AliasTarget(dnsName: name, hostedZoneID: "local", evaluateTargetHealth: true)
    }

    /// A service's host name routes to its listener.
    static func serviceAlias(_ service: String) -> AliasTarget {
        AliasTarget(dnsName: service, hostedZoneID: "local", evaluateTargetHealth: true)
    }
}
