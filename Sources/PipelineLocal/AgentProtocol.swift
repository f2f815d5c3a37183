import Foundation
import PipelineCore

/// One request to the agent over its unix socket: a JSON line; the answer is one JSON line.
public struct AgentRequest: Codable, Sendable {
    public var op: String
    public var service: String?
    public var listener: LocalListener?
    public var alarms: [AlarmSpec]?
    public var desiredCount: Int?
    public var document: JSONValue?
    public var tags: [String: String]?
    public var snapshot: String?
    public var ref: String?
    public var template: String?
    public var update: LocalServiceUpdate?
    public var names: [String]?
    public var prefix: String?
    public var host: String?
    public var since: Date?
    public var includeStopped: Bool?

    public init(_ op: String) { self.op = op }
}

/// The agent's answer.
public struct AgentResponse: Codable, Sendable {
    public var ok = true
    public var error: String?
    public var code: String?
    public var pid: Int32?
    public var taskDefinition: LocalTaskDefinition?
    public var service: ServiceStatus?
    public var alarms: [AlarmStatus]?
    public var status: AgentStatus?
    public var change: String?
    public var tasks: [TaskState]?
    public var history: [AlarmTransition]?

    public init() {}

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
    public func handle(_ request: AgentRequest) async -> AgentResponse {
        var r = AgentResponse()
        do {
            switch request.op {
            case "ping":
                r.pid = getpid()
            case "configure":
                try await configure(
                    service: try need(request.service, "service"), listener: request.listener,
                    alarms: request.alarms ?? [], desiredCount: request.desiredCount ?? 1)
            case "register":
                r.taskDefinition = try registerTaskDefinition(
                    try need(request.document, "document"), tags: request.tags ?? [:],
                    snapshot: try need(request.snapshot, "snapshot"))
            case "task-definition":
                r.taskDefinition = taskDefinition(try need(request.ref, "ref"))
            case "latest-task-definition":
                r.taskDefinition = latestTaskDefinition(family: try need(request.ref, "ref"))
            case "service":
                r.service = serviceStatus(try need(request.service, "service"))
            case "create-service":
                r.service = try createService(
                    try need(request.service, "service"), copying: try need(request.template, "template"),
                    taskDefinition: try need(request.ref, "ref"), desiredCount: request.desiredCount ?? 1)
            case "update-service":
                r.service = try updateService(
                    try need(request.service, "service"), request.update ?? LocalServiceUpdate())
            case "tasks":
                r.tasks = taskStates(
                    try need(request.service, "service"), includeStopped: request.includeStopped ?? false)
            case "alarm-history":
                r.history = alarmHistory(
                    names: request.names ?? [], prefix: request.prefix, since: try need(request.since, "since"))
            case "alarms":
                r.alarms = alarms(names: request.names ?? [], prefix: request.prefix)
            case "upsert-alias":
                r.change = try upsertAlias(
                    host: try need(request.host, "host"), listener: try need(request.service, "service"))
            case "status":
                r.status = status()
                r.pid = getpid()
            default:
                throw PipelineError(.invalidInput, "unknown agent request '\(request.op)'")
            }
        } catch {
            return .failure(error)
        }
        return r
    }

    func need<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw PipelineError(.invalidInput, "agent request without \(name)") }
        return value
    }
}
