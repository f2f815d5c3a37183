import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension LocalRuntime {
    func launchChecks() {
        let now = ContinuousClock.now
        for (id, task) in tasks where task.phase == .running {
            var t = task
            if let hc = t.healthCheck, !t.checkingHealth, now >= t.nextHealthCheck {
                t.checkingHealth = true
                let container = t.containers.first { $0.spec.healthCheck != nil }!
                Task {
                    let ok = await HealthProbe.command(
                        hc.argv, directory: container.directory, environment: container.environment,
                        timeout: .seconds(max(1, hc.timeout)))
                    self.healthResult(id, ok)
                }
            }
            if let listener = t.listener, let port = t.port, !t.checkingTarget, now >= t.nextTargetCheck {
                t.checkingTarget = true
                let path = state.listeners[listener]?.healthCheckPath ?? "/"
                Task {
                    let ok = await HealthProbe.http(port: port, path: path)
                    self.targetResult(id, ok)
                }
            }
            let grace = Duration.seconds(max(t.healthCheck?.startPeriod ?? 0, 30))
            if !t.everHealthy, t.stopReason == nil, now - t.started > grace {
                tasks[id] = t
                failed(id, reason: "did not pass its health checks within \(grace.components.seconds)s")
                continue
            }
            if t.isHealthy, !t.everHealthy {
                t.everHealthy = true
                t.healthySince = now
                logger.info("task \(id) of \(t.service) is healthy")
            }
            tasks[id] = t
        }
    }

    func healthResult(_ id: String, _ ok: Bool) {
        guard var t = tasks[id], let hc = t.healthCheck else { return }
        t.checkingHealth = false
        t.nextHealthCheck = .now + .seconds(max(1, hc.interval))
        if ok {
            t.containerHealth = "HEALTHY"
            t.healthFailures = 0
        } else if Date().timeIntervalSince(t.startedAt) >= Double(hc.startPeriod) {
            t.healthFailures += 1
        }
        tasks[id] = t
        updatePools()  // what status reports as healthy is what the load balancer routes to
        if t.healthFailures >= max(1, hc.retries), t.stopReason == nil {
            tasks[id]?.containerHealth = "UNHEALTHY"
            failed(
                id, reason: "container health check failed \(t.healthFailures) times: \(hc.argv.joined(separator: " "))"
            )
        }
    }

    func targetResult(_ id: String, _ ok: Bool) {
        guard var t = tasks[id] else { return }
        t.checkingTarget = false
        t.nextTargetCheck = .now + .seconds(1)
        if ok {
            t.targetHealthy = true
            t.targetFailures = 0
        } else {
            t.targetFailures += 1
        }
        tasks[id] = t
        updatePools()
        if t.targetFailures >= 3, t.targetHealthy == true, t.stopReason == nil {
            tasks[id]?.targetHealthy = false
            failed(id, reason: "failed \(t.targetFailures) load balancer health checks on port \(t.port ?? 0)")
        }
    }

    func updatePools() {
        var pools: [String: [Router.Target]] = [:]
        for name in state.listeners.keys { pools[name] = [] }
        for task in tasks.values.sorted(by: { $0.id < $1.id }) where task.isHealthy {
            guard let listener = task.listener, let port = task.port else { continue }
            let own = state.services[task.service]?.ownTargetGroup == true
            pools[listener, default: []].append(.init(task: task.id, service: task.service, port: port, ownGroup: own))
        }
        router.setPools(pools)
        router.setWeights(state.listeners.compactMapValues(\.weights))
    }

    /// Called after `updatePools`: a draining task is out of the pool, so its in-flight count only falls.
    func drainAndKill() {
        let now = ContinuousClock.now
        for (id, task) in tasks {
            switch task.phase {
            case .draining:
                if router.inFlight(id) == 0 || now - (task.drainSince ?? now) > .seconds(30) { terminate(id) }
            case .stopping:
                if let killAt = task.killAt, now >= killAt {
                    for c in task.containers where c.exit == nil { TaskProcess.signal(c.pid, SIGKILL) }
                    tasks[id]?.killAt = now + .seconds(3600)
                    logger.warning("task \(id) did not stop within \(task.stopTimeout)s of SIGTERM: SIGKILL")
                }
            default: break
            }
        }
    }

    func evaluateAlarms(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastAlarmCheck >= .seconds(1) else { return }
        lastAlarmCheck = now
        let clock = Int(Date().timeIntervalSince1970)
        for (name, spec) in state.alarms {
            let current = clock / spec.period * spec.period
            let points = (0..<spec.evaluationPeriods).map {
                router.datapoint(spec, from: current - $0 * spec.period, length: spec.period)
            }
            let (value, reason) = spec.evaluate(points)
            let previous = alarmStates[name]
            if previous?.state != value {
                alarmTransitions.append(
                    AlarmTransition(
                        alarm: name, at: Date(), from: previous?.state ?? .insufficientData, to: value,
                        reason: reason))
                if alarmTransitions.count > 1000 { alarmTransitions.removeFirst(alarmTransitions.count - 1000) }
                if previous != nil || value == .alarm {
                    logger.info("alarm \(name): \(previous?.state.rawValue ?? "none") → \(value): \(reason)")
                }
                alarmStates[name] = AlarmStatus(
                    name: name, listener: spec.listener, service: spec.service, metric: spec.metric, state: value,
                    reason: reason, updatedAt: Date())
            } else {
                alarmStates[name]?.reason = reason
            }
        }
        for name in alarmStates.keys where state.alarms[name] == nil { alarmStates[name] = nil }
    }
}
