import Foundation
import PipelineCore

/// One request to the agent over its unix socket: a JSON line (`{"tasks": {"service": "web", …}}`);
/// the answer is one JSON line. One case per operation, with exactly what it needs.
package enum AgentRequest: Codable, Sendable {
    /// Is the agent up? (answers its pid)
    case ping
    /// Stop the agent (its tasks stop with it).
    case stop
    /// Everything the agent runs, for `pipeline agent status`.
    case status
    /// Sets up a pipeline's listener, alarms and main service.
    case configure(service: String, listener: LocalListener?, alarms: [AlarmSpec], desiredCount: Int)
    /// Registers a task definition whose files were exported to `snapshot`.
    case register(document: JSONValue, tags: [String: String], snapshot: String)
    /// A task definition by ARN or `family:revision`.
    case taskDefinition(ref: String)
    /// The latest revision of a family.
    case latestTaskDefinition(family: String)
    /// A service's state.
    case service(name: String)
    /// Creates a service as a copy of another.
    case createService(name: String, copying: String, taskDefinition: String, desiredCount: Int, ownTargetGroup: Bool)
    /// Updates a service.
    case updateService(name: String, update: LocalServiceUpdate)
    /// A service's tasks.
    case tasks(service: String, includeStopped: Bool)
    /// Alarm transitions since a time.
    case alarmHistory(names: [String], prefix: String?, since: Date)
    /// Alarms by names and prefix.
    case alarms(names: [String], prefix: String?)
    /// Routes a host name to a listener.
    case upsertAlias(host: String, listener: String)
    /// The route of a service's listener, with its weights.
    case trafficRoutes(service: String)
    /// Sets a listener's weights.
    case setTraffic(listener: String, forward: [WeightedTarget])
    /// A load-balancer metric over the last `seconds`.
    case metric(query: MetricQuerySpec, seconds: Int)

    /// The operation's name, for messages.
    package var name: String {
        switch self {
        case .ping: return "ping"
        case .stop: return "stop"
        case .status: return "status"
        case .configure: return "configure"
        case .register: return "register"
        case .taskDefinition: return "task-definition"
        case .latestTaskDefinition: return "latest-task-definition"
        case .service: return "service"
        case .createService: return "create-service"
        case .updateService: return "update-service"
        case .tasks: return "tasks"
        case .alarmHistory: return "alarm-history"
        case .alarms: return "alarms"
        case .upsertAlias: return "upsert-alias"
        case .trafficRoutes: return "traffic-routes"
        case .setTraffic: return "set-traffic"
        case .metric: return "metric"
        }
    }
}

/// The agent's answer.
package struct AgentResponse: Codable, Sendable {
    package var ok = true
    package var error: String?
    package var code: String?
    package var pid: Int32?
    package var taskDefinition: LocalTaskDefinition?
    package var service: ServiceStatus?
    package var alarms: [AlarmStatus]?
    package var status: AgentStatus?
    package var change: String?
    package var tasks: [TaskState]?
    package var history: [AlarmTransition]?
    package var routes: [TrafficRoute]?
    package var value: Double?

    package init() {}

    static func failure(_ error: any Error) -> AgentResponse {
        var r = AgentResponse()
        r.ok = false
        if let e = error as? PipelineError {
            r.error = e.message
            r.code = e.code.description
        } else {
            r.error = "\(error)"
        }
        return r
    }
}

extension LocalRuntime {
    /// Answers one request.
    package func handle(_ request: AgentRequest) async -> AgentResponse {
        var r = AgentResponse()
        do {
            switch request {
            case .ping, .stop:
                r.pid = getpid()
            case .configure(let service, let listener, let alarms, let desiredCount):
                try await configure(service: service, listener: listener, alarms: alarms, desiredCount: desiredCount)
            case .register(let document, let tags, let snapshot):
                r.taskDefinition = try registerTaskDefinition(document, tags: tags, snapshot: snapshot)
            case .taskDefinition(let ref):
                r.taskDefinition = taskDefinition(ref)
            case .latestTaskDefinition(let family):
                r.taskDefinition = latestTaskDefinition(family: family)
            case .service(let name):
                r.service = serviceStatus(name)
            case .createService(let name, let template, let taskDefinition, let desiredCount, let ownTargetGroup):
                r.service = try createService(
                    name, copying: template, taskDefinition: taskDefinition, desiredCount: desiredCount,
                    ownTargetGroup: ownTargetGroup)
            case .updateService(let name, let update):
                r.service = try updateService(name, update)
            case .tasks(let service, let includeStopped):
                r.tasks = taskStates(service, includeStopped: includeStopped)
            case .alarmHistory(let names, let prefix, let since):
                r.history = alarmHistory(names: names, prefix: prefix, since: since)
            case .alarms(let names, let prefix):
                r.alarms = alarms(names: names, prefix: prefix)
            case .upsertAlias(let host, let listener):
                r.change = try upsertAlias(host: host, listener: listener)
            case .trafficRoutes(let service):
                r.routes = try trafficRoutes(service: service)
            case .setTraffic(let listener, let forward):
                try setTraffic(listener: listener, forward: forward)
            case .metric(let query, let seconds):
                r.value = try metricValue(query, seconds: seconds)
            case .status:
                r.status = status()
                r.pid = getpid()
            }
        } catch {
            return .failure(error)
        }
        return r
    }
}
