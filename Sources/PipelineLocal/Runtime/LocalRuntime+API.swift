import Foundation
import PipelineCore

/// How `updateService` changes a service.
package struct LocalServiceUpdate: Codable, Sendable {
    package var taskDefinition: String?
    package var desiredCount: Int?
    package var maximumPercent: Int?
    package var minimumHealthyPercent: Int?
    package var circuitBreaker: Bool?
    package var circuitBreakerRollback: Bool?
    /// Start a new deployment even when the task definition does not change.
    package var forceNewDeployment: Bool?
    package init() {}
}

extension LocalRuntime {
    /// Sets up a pipeline's target: its listener, its alarms, and its main service when it does not exist yet.
    package func configure(service: String, listener: LocalListener?, alarms: [AlarmSpec], desiredCount: Int)
        async throws
    {
        if let listener {
            if let other = state.listeners.values.first(where: { $0.port == listener.port && $0.name != listener.name })
            {
                throw PipelineError(
                    .invalidInput,
                    "listener_port \(listener.port) is already used by service \(other.name) on this agent")
            }
            let previous = state.listeners[listener.name]
            state.listeners[listener.name] = listener
            await bind(listener)
            if let error = listenerErrors[listener.name] {
                // Bad input, not a fault: keep what was there, and say which port and why.
                state.listeners[listener.name] = previous
                listenerErrors[listener.name] = nil
                if let previous { await bind(previous) }
                let inUse = error.contains("Address already in use")
                throw PipelineError(
                    .invalidInput,
                    inUse
                        ? "listener_port \(listener.port): 127.0.0.1:\(listener.port) is already in use by another process; choose another target.listener_port"
                        : "listener_port \(listener.port): \(error)")
            }
        }
        if state.services[service] == nil {
            state.services[service] = LocalService(
                name: service, loadBalancer: listener?.name, desiredCount: desiredCount, maximumPercent: 200,
                minimumHealthyPercent: 100, circuitBreaker: true, circuitBreakerRollback: false, deployments: [],
                lastCompleted: nil)
            logger.info("created service \(service) (desired count \(desiredCount), no task definition yet)")
        } else if let listener {
            state.services[service]?.loadBalancer = listener.name
        }
        let owned = listener?.name ?? service
        state.alarms = state.alarms.filter { $0.value.listener != owned }
        for alarm in alarms { state.alarms[alarm.name] = alarm }
        dirty = true
        save()
        evaluateAlarms(force: true)
    }

    /// Registers a revision; `snapshot` (a folder the caller filled) becomes the revision's folder.
    package func registerTaskDefinition(_ document: JSONValue, tags: [String: String], snapshot: String) throws
        -> LocalTaskDefinition
    {
        guard let family = document["family"]?.stringValue, !family.isEmpty else {
            throw PipelineError(.invalidInput, "the task definition has no family")
        }
        _ = try ContainerSpec.parse(document)
        let revision = (state.taskDefinitions[family]?.last?.revision ?? 0) + 1
        let folder = paths.revisionFolder(family: family, revision: revision)
        let fm = FileManager.default
        try? fm.removeItem(at: folder)
        try fm.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try fm.moveItem(atPath: snapshot, toPath: folder.path) } catch {
            throw PipelineError(.io, "cannot keep the snapshot \(snapshot) as \(folder.path): \(error)")
        }
        let record = LocalTaskDefinition(
            family: family, revision: revision, document: document, snapshot: folder.path, tags: tags)
        state.taskDefinitions[family, default: []].append(record)
        dirty = true
        save()
        logger.info("registered \(record.arn) (commit \(tags["pipeline:commit"]?.prefix(7) ?? "?"))")
        return record
    }

    package func taskDefinition(_ ref: String) -> LocalTaskDefinition? { state.taskDefinition(ref) }

    package func latestTaskDefinition(family: String) -> LocalTaskDefinition? { state.taskDefinitions[family]?.last }

    package func serviceStatus(_ name: String) -> ServiceStatus? {
        guard let service = state.services[name] else { return nil }
        let own = tasks.values.filter { $0.service == name }.sorted { $0.startedAt < $1.startedAt }
        let deployments = service.deployments.map { d in
            let mine = own.filter { $0.deployment == d.id }
            return DeploymentState(
                id: d.id, status: d.status, taskDefinition: d.taskDefinition, rolloutState: d.rolloutState,
                rolloutStateReason: d.rolloutStateReason,
                desiredCount: d.status == .primary ? service.desiredCount : 0,
                runningCount: mine.filter(\.isHealthy).count, failedTasks: d.failedTasks, createdAt: d.createdAt)
        }
        return ServiceStatus(
            name: name, listener: service.loadBalancer, taskDefinition: service.taskDefinition,
            desiredCount: service.desiredCount,
            runningCount: own.filter { $0.phase == .running || $0.phase == .provisioning }.count,
            healthyCount: own.filter(\.isHealthy).count, deployments: deployments, tasks: own.map(\.status),
            recentStops: recentStops[name] ?? [])
    }

    /// Creates `name` behind the same listener as `template`.
    package func createService(
        _ name: String, copying template: String, taskDefinition: String, desiredCount: Int,
        ownTargetGroup: Bool = false
    ) throws -> ServiceStatus {
        guard let source = state.services[template] else {
            throw PipelineError(.notFound, "service \(template) does not exist on the local agent")
        }
        guard state.services[name] == nil else { throw PipelineError(.invalidInput, "service \(name) already exists") }
        let td = try resolve(taskDefinition)
        var service = source
        service.name = name
        service.desiredCount = desiredCount
        service.deployments = [newDeployment(td.arn)]
        service.lastCompleted = nil
        service.ownTargetGroup = ownTargetGroup ? true : nil
        state.services[name] = service
        dirty = true
        save()
        logger.info(
            "created service \(name) behind \(source.loadBalancer ?? "no listener"): \(desiredCount) × \(td.arn)")
        return serviceStatus(name)!
    }

    package func updateService(_ name: String, _ update: LocalServiceUpdate) throws -> ServiceStatus {
        guard var service = state.services[name] else {
            throw PipelineError(.notFound, "service \(name) does not exist on the local agent")
        }
        if let count = update.desiredCount {
            guard count >= 0 else { throw PipelineError(.invalidInput, "desired count must not be negative") }
            service.desiredCount = count
        }
        if let v = update.maximumPercent { service.maximumPercent = v }
        if let v = update.minimumHealthyPercent { service.minimumHealthyPercent = v }
        if let v = update.circuitBreaker { service.circuitBreaker = v }
        if let v = update.circuitBreakerRollback { service.circuitBreakerRollback = v }
        if let ref = update.taskDefinition
            ?? (update.forceNewDeployment == true ? service.primary?.taskDefinition : nil)
        {
            let td = try resolve(ref)
            if td.arn != service.primary?.taskDefinition || update.forceNewDeployment == true {
                for i in service.deployments.indices { service.deployments[i].status = .active }
                service.deployments.insert(newDeployment(td.arn), at: 0)
                logger.info("\(name): new deployment \(service.deployments[0].id) of \(td.arn)")
            }
        }
        state.services[name] = service
        dirty = true
        save()
        return serviceStatus(name)!
    }

    /// The service's tasks as readiness judges them: running ones and, with `includeStopped`, recently stopped ones.
    package func taskStates(_ name: String, includeStopped: Bool) -> [TaskState] {
        var out = tasks.values.filter { $0.service == name }.sorted { $0.startedAt < $1.startedAt }.map(\.taskState)
        if includeStopped { out += stoppedTasks[name] ?? [] }
        return out
    }

    /// Alarm state changes at or after `since`, oldest first.
    package func alarmHistory(names: [String], prefix: String?, since: Date) -> [AlarmTransition] {
        evaluateAlarms(force: true)
        return alarmTransitions.filter { t in
            t.at >= since && (names.contains(t.alarm) || (prefix.map { t.alarm.hasPrefix($0) } ?? false))
        }
    }

    package func alarms(names: [String], prefix: String?) -> [AlarmStatus] {
        evaluateAlarms(force: true)
        return alarmStates.values.filter { a in
            names.contains(a.name) || (prefix.map { a.name.hasPrefix($0) } ?? false)
        }.sorted { $0.name < $1.name }
    }

    /// The route of a service's listener: its weights, or the service alone (a share by task count).
    package func trafficRoutes(service: String) throws -> [TrafficRoute] {
        guard let name = state.services[service]?.loadBalancer, let listener = state.listeners[name] else {
            throw PipelineError(.notFound, "service \(service) is behind no listener on the local agent")
        }
        let forward =
            listener.weights.map { weights in
                weights.keys.sorted().map { WeightedTarget(targetGroup: $0, weight: weights[$0]) }
            } ?? [WeightedTarget(targetGroup: service, weight: nil)]
        return [TrafficRoute(id: name, isListenerDefault: true, forward: forward)]
    }

    /// A load-balancer metric over the last `seconds`: `dimensions: {service: NAME}` reads one service's
    /// targets, `listener` picks the listener (default: the service's); nil when there is no datapoint.
    package func metricValue(_ query: MetricQuerySpec, seconds: Int) throws -> Double? {
        guard AlarmSpec.metrics.contains(query.metric) else {
            throw PipelineError(
                .invalidInput,
                "unknown metric \(query.metric); the local load balancer records \(AlarmSpec.metrics.sorted().joined(separator: ", "))"
            )
        }
        let service = query.dimensions["service"]
        guard
            let listener = query.dimensions["listener"] ?? service.flatMap({ state.services[$0]?.loadBalancer })
                ?? state.listeners.keys.sorted().first
        else { throw PipelineError(.notFound, "no listener on the local agent to read \(query.metric) from") }
        let now = Int(Date().timeIntervalSince1970) / 10 * 10
        let length = max(10, (seconds + 9) / 10 * 10)
        return router.datapoint(
            metric: query.metric, statistic: query.statistic, listener: listener, service: service,
            from: now + 10 - length, length: length)
    }

    /// Sets a listener's weights (service → weight); one service without a weight removes them.
    package func setTraffic(listener name: String, forward: [WeightedTarget]) throws {
        guard state.listeners[name] != nil else {
            throw PipelineError(.notFound, "no listener \(name) on the local agent")
        }
        let weights =
            forward.count == 1 && forward[0].weight == nil
            ? nil : Dictionary(forward.map { ($0.targetGroup, $0.weight ?? 0) }) { _, new in new }
        state.listeners[name]?.weights = weights
        dirty = true
        save()
        updatePools()
        let text = weights.map { w in w.keys.sorted().map { "\($0) \(w[$0]!)" }.joined(separator: ", ") }
        logger.info("listener \(name): \(text.map { "weights \($0)" } ?? "every healthy task in turn")")
    }

    /// Routes `host` (by Host header on the front listener) to a listener; returns a change id, or "" when unchanged.
    package func upsertAlias(host: String, listener: String) throws -> String {
        guard state.listeners[listener] != nil else {
            throw PipelineError(.notFound, "no listener \(listener) on the local agent (is target.listener_port set?)")
        }
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if state.aliases[name] == listener { return "" }
        state.aliases[name] = listener
        dirty = true
        save()
        router.setHosts(state.aliases)
        writeHosts()
        logger.info("alias \(name) → \(listener)")
        return nextID("change")
    }

    package func status() -> AgentStatus {
        let services = state.services.keys.sorted().compactMap { serviceStatus($0) }
        let listeners = state.listeners.values.sorted { $0.name < $1.name }.map { l in
            let traffic = router.lastMinute(listener: l.name, service: nil)
            return ListenerStatus(
                name: l.name, port: bound[l.name]?.port ?? l.port, healthCheckPath: l.healthCheckPath,
                error: listenerErrors[l.name],
                targets: tasks.values.filter { $0.listener == l.name && $0.isHealthy && $0.phase == .running }.count,
                weights: l.weights, requestsLastMinute: traffic.requests, targetErrorsLastMinute: traffic.errors)
        }
        return AgentStatus(
            pid: getpid(), stateDir: paths.root.deletingLastPathComponent().path, frontPort: front?.port,
            listeners: listeners, services: services, alarms: alarmStates.values.sorted { $0.name < $1.name },
            hosts: state.aliases)
    }

    func resolve(_ ref: String) throws -> LocalTaskDefinition {
        guard let td = state.taskDefinition(ref) else {
            throw PipelineError(.notFound, "task definition \(ref) is not registered on the local agent")
        }
        return td
    }

    func newDeployment(_ arn: String) -> LocalDeployment {
        LocalDeployment(
            id: nextID("ecs-svc"), taskDefinition: arn, status: .primary, rolloutState: .inProgress,
            rolloutStateReason: "deployment in progress", failedTasks: 0, createdAt: Date())
    }
}
