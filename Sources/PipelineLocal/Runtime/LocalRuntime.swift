import Foundation
import Logging
import PipelineCore

/// The local platform: services kept at their desired count as processes, rolled out like ECS, behind
/// the load balancer, with alarms over its metrics. `pipeline agent` runs one; the state survives it.
package actor LocalRuntime {
    let paths: LocalPaths
    let logger: Logger
    package nonisolated let router = Router()
    let balancer: LoadBalancer
    let frontPort: Int?
    var state: LocalDesiredState
    var tasks: [String: RunningTask] = [:]
    var bound: [String: LoadBalancer.Bound] = [:]
    var listenerErrors: [String: String] = [:]
    var front: LoadBalancer.Bound?
    var alarmStates: [String: AlarmStatus] = [:]
    var failures: [String: (count: Int, next: ContinuousClock.Instant)] = [:]
    var pendingRestarts: [String: [Int]] = [:]
    var recentStops: [String: [String]] = [:]
    /// Recently stopped tasks per service, newest first, as readiness reads them.
    var stoppedTasks: [String: [TaskState]] = [:]
    /// Every alarm state change since the agent started, oldest first (the latest 1,000).
    var alarmTransitions: [AlarmTransition] = []
    var specs: [String: [ContainerSpec]] = [:]
    var dirty = false
    var lastAlarmCheck = ContinuousClock.now - .seconds(10)
    var stopping = false
    let baseEnvironment: [String: String]

    package init(paths: LocalPaths, frontPort: Int?, environment: [String: String], logger: Logger) throws {
        self.paths = paths
        self.logger = logger
        self.frontPort = frontPort
        try paths.createFolders()
        balancer = LoadBalancer(router: router)
        if let data = FileManager.default.contents(atPath: paths.stateFile.path) {
            do {
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                state = try decoder.decode(LocalDesiredState.self, from: data)
            } catch {
                throw PipelineError(.corruptRecord, "\(paths.stateFile.path) cannot be read: \(error)")
            }
        } else {
            state = LocalDesiredState()
        }
        baseEnvironment = LocalEnvironment.basics(environment)
    }

    /// Stops what an earlier agent left running, binds the listeners, and brings the services back.
    package func start() async {
        await stopLeftovers()
        if let frontPort {
            do { front = try await balancer.listen(port: frontPort, route: .byHost) } catch {
                logger.warning("front listener on 127.0.0.1:\(frontPort) not started: \(error)")
            }
        }
        for listener in state.listeners.values.sorted(by: { $0.name < $1.name }) { await bind(listener) }
        router.setHosts(state.aliases)
        writeHosts()
        logger.info(
            "agent started: \(state.services.count) service(s), \(state.listeners.count) listener(s), front listener \(front.map { "127.0.0.1:\($0.port)" } ?? "off")"
        )
    }

    func stopLeftovers() async {
        let leftovers = state.processes.filter {
            TaskProcess.isAlive($0.pid) && TaskProcess.belongs($0.pid, task: $0.task)
        }
        for p in leftovers {
            logger.info("stopping leftover task \(p.task) of \(p.service) (pid \(p.pid)) from an earlier agent")
            TaskProcess.signal(p.pid, SIGTERM)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while leftovers.contains(where: { TaskProcess.isAlive($0.pid) }), ContinuousClock.now < deadline {
            for p in leftovers { _ = TaskProcess.reap(p.pid) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        for p in leftovers where TaskProcess.isAlive(p.pid) { TaskProcess.signal(p.pid, SIGKILL) }
        state.processes = []
        dirty = true
        save()
    }

    func bind(_ listener: LocalListener) async {
        if let old = bound[listener.name] {
            if old.port == listener.port { return }
            await old.close()
            bound[listener.name] = nil
        }
        do {
            bound[listener.name] = try await balancer.listen(port: listener.port, route: .listener(listener.name))
            listenerErrors[listener.name] = nil
            logger.info("listener \(listener.name) on 127.0.0.1:\(listener.port)")
        } catch {
            listenerErrors[listener.name] = "cannot listen on 127.0.0.1:\(listener.port): \(error)"
            logger.error("\(listenerErrors[listener.name]!)")
        }
    }

    /// Runs the scheduler until `shutdown`.
    package func run() async {
        while !stopping {
            tick()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops every task gracefully (drain, SIGTERM, SIGKILL after stopTimeout) and the listeners.
    package func shutdown() async {
        stopping = true
        for id in tasks.keys { beginStop(id, reason: "the agent is stopping", failed: false) }
        let longest = tasks.values.map(\.stopTimeout).max() ?? 0
        let deadline = ContinuousClock.now + .seconds(longest + 35)
        while !tasks.isEmpty, ContinuousClock.now < deadline {
            tick()
            try? await Task.sleep(for: .milliseconds(50))
        }
        for listener in bound.values { await listener.close() }
        await front?.close()
        bound = [:]
        save()
        await balancer.shutdown()
        logger.info("agent stopped")
    }

    func save() {
        guard dirty else { return }
        state.processes = tasks.values.flatMap { task in
            task.containers.filter { $0.exit == nil }.map {
                LocalTaskPID(task: task.id, service: task.service, pid: $0.pid)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            try encoder.encode(state).write(to: paths.stateFile, options: .atomic)
            dirty = false
        } catch {
            logger.error("cannot save \(paths.stateFile.path): \(error)")
        }
    }

    func writeHosts() {
        var text = "# Written by pipeline's local provider (dns-alias). Front listener: "
        text += front.map { "127.0.0.1:\($0.port)" } ?? "off"
        text += "\n"
        for host in state.aliases.keys.sorted() { text += "127.0.0.1 \(host)\n" }
        try? text.write(to: paths.hostsFile, atomically: true, encoding: .utf8)
    }

    func nextID(_ prefix: String) -> String {
        defer { state.nextID += 1 }
        return "\(prefix)-\(state.nextID)"
    }
}
