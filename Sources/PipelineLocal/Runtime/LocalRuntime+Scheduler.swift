import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension LocalRuntime {
    /// One pass: reap exits, roll services toward their desired state, check health, route, drain, alarms.
    func tick() {
        reapExits()
        if !stopping {
            for name in state.services.keys.sorted() { schedule(name) }
        }
        launchChecks()
        updatePools()
        drainAndKill()
        evaluateAlarms(force: false)
        save()
    }

    func reapExits() {
        for id in Array(tasks.keys) {
            guard var t = tasks[id] else { continue }
            for i in t.containers.indices where t.containers[i].exit == nil {
                t.containers[i].exit = TaskProcess.reap(t.containers[i].pid)
            }
            tasks[id] = t
            if t.stopReason == nil, let dead = t.containers.first(where: { $0.spec.essential && $0.exit != nil }) {
                var reason = "essential container \(dead.spec.name) \(dead.exit!)"
                if let line = TaskProcess.lastLine(of: t.log) { reason += "; last log line: \(line)" }
                failed(id, reason: reason)
            }
            if t.containers.allSatisfy({ $0.exit != nil }) { ended(id) }
        }
    }

    /// A task stopped by itself or failed its checks: replace it (with backoff) and count it against the deployment.
    func failed(_ id: String, reason: String) {
        guard let task = tasks[id] else { return }
        let failedStart = !task.everHealthy
        logger.warning("task \(id) of \(task.service) failed: \(reason)")
        tasks[id]?.stopWasFailure = true
        backOff(task.service)
        pendingRestarts[task.service, default: []].append(task.restarts + 1)
        beginStop(id, reason: reason, failed: failedStart, drain: false)
    }

    /// Delays the service's next task start: 0.5 s, doubling with each failure in a row, at most 15 s.
    func backOff(_ service: String) {
        let previous = failures[service]?.count ?? 0
        let delay = min(0.5 * pow(2, Double(previous)), 15)
        failures[service] = (previous + 1, ContinuousClock.now + .milliseconds(Int(delay * 1000)))
    }

    /// Drains a serving task (no new requests; in-flight ones finish), else stops it now.
    func beginStop(_ id: String, reason: String, failed: Bool, drain: Bool = true) {
        guard var task = tasks[id], task.stopReason == nil else { return }
        task.stopReason = reason
        if drain && task.phase == .running && task.isHealthy && task.listener != nil {
            task.phase = .draining
            task.drainSince = ContinuousClock.now
            tasks[id] = task
        } else {
            tasks[id] = task
            terminate(id)
        }
        if failed { countFailure(service: task.service, deployment: task.deployment, reason: reason) }
        updatePools()
    }

    func terminate(_ id: String) {
        guard var task = tasks[id] else { return }
        for c in task.containers where c.exit == nil { TaskProcess.signal(c.pid, SIGTERM) }
        task.phase = .stopping
        task.killAt = ContinuousClock.now + .seconds(task.stopTimeout)
        tasks[id] = task
    }

    func ended(_ id: String) {
        guard let task = tasks.removeValue(forKey: id) else { return }
        let exits = task.containers.map { "\($0.spec.name) \($0.exit.map { "\($0)" } ?? "?")" }.joined(separator: ", ")
        let line =
            "\(Timestamp.seconds(Date())) \(id) (\(task.taskDefinition)): \(task.stopReason ?? "stopped") — \(exits)"
        var stopped = task.taskState
        stopped.running = false
        stopped.stopped = true
        stopped.targets = []
        stopped.failed = task.stopWasFailure
        var reason = task.stopReason ?? "stopped"
        if !reason.contains("exited") { reason += " (\(exits))" }
        let lines = TaskProcess.lastLines(of: task.log, count: 3)
        if task.stopWasFailure, !lines.isEmpty { reason += "; last output: " + lines.joined(separator: " | ") }
        stopped.stoppedReason = reason
        stoppedTasks[task.service, default: []].insert(stopped, at: 0)
        if stoppedTasks[task.service]!.count > 20 { stoppedTasks[task.service]!.removeLast() }
        // agent.log says each stop, as docs/local.md promises: which task, why, and how it exited.
        logger.info("task \(id) of \(task.service) stopped: \(task.stopReason ?? "stopped") — \(exits)")
        recentStops[task.service, default: []].insert(line, at: 0)
        if recentStops[task.service]!.count > 10 { recentStops[task.service]!.removeLast() }
        dirty = true
    }

    /// Counts a failed task start against its deployment; the circuit breaker may fail the deployment.
    func countFailure(service name: String, deployment: String, reason: String) {
        guard var service = state.services[name],
            let index = service.deployments.firstIndex(where: { $0.id == deployment }),
            service.deployments[index].rolloutState == .inProgress
        else { return }
        service.deployments[index].failedTasks += 1
        let threshold = max(3, min(200, (service.desiredCount + 1) / 2))
        if index == 0, service.circuitBreaker, service.deployments[index].failedTasks >= threshold {
            let d = service.deployments[index]
            service.deployments[index].rolloutState = .failed
            service.deployments[index].rolloutStateReason =
                "deployment circuit breaker: \(d.failedTasks) task(s) of \(d.taskDefinition) failed to start; last: \(reason)"
            logger.error("\(service.name): deployment \(d.id) FAILED (\(d.failedTasks) failed tasks)")
            if service.circuitBreakerRollback, let last = service.lastCompleted, last != d.taskDefinition {
                for i in service.deployments.indices { service.deployments[i].status = .active }
                service.deployments.insert(newDeployment(last), at: 0)
                logger.info("\(service.name): circuit breaker rolls back to \(last)")
            }
        }
        state.services[name] = service
        dirty = true
    }

    func schedule(_ name: String) {
        guard var service = state.services[name], let primary = service.primary else { return }
        let own = tasks.values.filter { $0.service == name }
        let stoppingPhases: Set<RunningTask.Phase> = [.draining, .stopping]
        var plan: RolloutPlan
        if primary.rolloutState == .failed {
            let active = own.filter { !stoppingPhases.contains($0.phase) }
            plan = RolloutPlan(start: 0, stop: service.desiredCount == 0 ? active.map(\.id) : [])
        } else {
            plan = RolloutPlan.make(
                desired: service.desiredCount, maximumPercent: service.maximumPercent,
                minimumHealthyPercent: service.minimumHealthyPercent,
                tasks: own.map {
                    RolloutPlan.Task(
                        id: $0.id, primary: $0.deployment == primary.id, healthy: $0.isHealthy,
                        stopping: stoppingPhases.contains($0.phase))
                })
        }
        for id in plan.stop {
            let reason =
                tasks[id]?.deployment == primary.id
                ? "scaled in (desired count \(service.desiredCount))" : "replaced by deployment \(primary.id)"
            beginStop(id, reason: reason, failed: false)
        }
        if plan.start > 0, (failures[name]?.next ?? .now) <= .now {
            for _ in 0..<plan.start { startTask(service, primary) }
        }
        // Re-read: starting may have failed the deployment.
        service = state.services[name] ?? service
        let mine = tasks.values.filter { $0.service == name }
        if service.primary?.rolloutState == .inProgress, let p = service.primary {
            let healthy = mine.filter { $0.deployment == p.id && $0.isHealthy }.count
            let others = mine.filter { $0.deployment != p.id || stoppingPhases.contains($0.phase) }.count
            if healthy == service.desiredCount && others == 0 {
                service.deployments[0].rolloutState = .completed
                service.deployments[0].rolloutStateReason = "ECS deployment \(p.id) completed."
                service.lastCompleted = p.taskDefinition
                logger.info("\(name): deployment \(p.id) of \(p.taskDefinition) COMPLETED (\(healthy) task(s))")
            }
        }
        let withTasks = Set(mine.map(\.deployment))
        service.deployments = service.deployments.enumerated().filter {
            $0.offset == 0 || withTasks.contains($0.element.id)
        }
        .map(\.element)
        if service != state.services[name] {
            state.services[name] = service
            dirty = true
        }
        if let healthyTask = mine.first(where: { $0.healthySince.map { .now - $0 > .seconds(10) } ?? false }),
            failures[name] != nil, healthyTask.isHealthy
        {
            failures[name] = nil
        }
    }

    func startTask(_ service: LocalService, _ deployment: LocalDeployment) {
        let id = nextID(service.name)
        do {
            guard let td = state.taskDefinition(deployment.taskDefinition) else {
                throw PipelineError(.notFound, "task definition \(deployment.taskDefinition) is not registered")
            }
            let containers = try specs[td.arn] ?? ContainerSpec.parse(td.document)
            specs[td.arn] = containers
            let port = containers.contains(where: \.hasPort) ? try TaskProcess.freePort() : nil
            let folder = paths.taskLogs.appendingPathComponent(service.name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let log = folder.appendingPathComponent("\(id).log").path
            let banner =
                "=== \(Timestamp.seconds(Date())) task \(id) of \(service.name): \(td.arn)\(port.map { ", PORT=\($0)" } ?? "")\n"
            _ = FileManager.default.createFile(atPath: log, contents: Data(banner.utf8))
            var started: [RunningTask.Container] = []
            var portGiven = false
            for spec in containers {
                var environment = baseEnvironment.merging(spec.environment) { $1 }
                environment["PIPELINE_TASK_ID"] = id
                environment["PIPELINE_SERVICE"] = service.name
                environment["PIPELINE_TASK_DEFINITION"] = td.arn
                if spec.hasPort, !portGiven, let port {
                    environment["PORT"] = String(port)
                    portGiven = true
                }
                var directory = td.snapshot
                if let wd = spec.workingDirectory, !wd.isEmpty {
                    directory += "/" + wd.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                }
                let pid = try TaskProcess.spawn(
                    argv: spec.argv, environment: environment, directory: directory, log: log)
                started.append(.init(spec: spec, pid: pid, environment: environment, directory: directory))
            }
            var task = RunningTask(
                id: id, service: service.name, deployment: deployment.id, taskDefinition: td.arn, containers: started,
                port: port, listener: service.loadBalancer, restarts: pendingRestarts[service.name]?.first ?? 0,
                log: log)
            if !(pendingRestarts[service.name]?.isEmpty ?? true) { pendingRestarts[service.name]!.removeFirst() }
            task.phase = .running
            if task.healthCheck == nil { task.containerHealth = "HEALTHY" }
            tasks[id] = task
            dirty = true
            logger.info(
                "started task \(id) of \(service.name) (\(td.arn), pid \(started[0].pid)\(port.map { ", port \($0)" } ?? ""))"
            )
        } catch {
            logger.error("cannot start a task of \(service.name): \(error)")
            countFailure(service: service.name, deployment: deployment.id, reason: "\(error)")
            backOff(service.name)
        }
    }
}
