import Foundation
import PipelineCore

/// Readiness from evidence, shared by canary-deploy, promote and rollback: a deployment is done only
/// when the deployment this run started runs the wanted revision, is COMPLETED, runs as many tasks as
/// it wants, and those tasks are healthy (container health checks and every target group).
enum Readiness {
    /// Whether two task definition references name the same revision (`family:3`, or an ARN ending in it).
    static func sameRevision(_ a: String, _ b: String) -> Bool {
        func tail(_ s: String) -> Substring { s.split(separator: "/").last ?? Substring(s) }
        return !a.isEmpty && tail(a) == tail(b)
    }

    /// Applies `update` to `service` and returns the deployment it started. When the wanted revision is
    /// already the service's, a new deployment is forced, so that fresh tasks are judged.
    /// `before` is the service as the stage last described it; nil: described here.
    static func startDeployment(
        _ target: any DeploymentTarget, service: String, update: ServiceUpdate, before described: ServiceState? = nil,
        context: StageContext
    ) async throws -> String {
        let before: ServiceState?
        if let described {
            before = described
        } else {
            before = try await context.tolerant(service) { try await target.service(service) }
        }
        var update = update
        if let wanted = update.taskDefinition, let before, sameRevision(before.taskDefinition, wanted) {
            update.forceNewDeployment = true
            context.logger.info("\(service) already runs \(wanted): forcing a new deployment so fresh tasks are judged")
        }
        // Safe to send again: the same update converges (a repeated forced one starts a newer deployment,
        // and that newer one is what gets judged).
        let after = try await context.tolerant(service) { try await target.updateService(service, update) }
        guard let started = after.primary?.id, started != before?.primary?.id else {
            throw StageFailure(
                "updating \(service) started no new deployment (its primary deployment is still \(after.primary?.id ?? "none"))"
            )
        }
        context.logger.info("\(service): deployment \(started) started")
        return started
    }

    /// One look at a deployment: nil while it is not ready yet; throws when it cannot become ready.
    struct Look {
        var deployment: DeploymentState
        var state: ServiceState
        var healthy: Int
        var report: String
        var problems: [String]
        var ready: Bool
    }

    /// `layout`: the service as described before (its name and target groups): its running tasks and
    /// their target health are then read beside DescribeServices, one round trip instead of two.
    static func look(
        _ target: any DeploymentTarget, service: String, deploymentID: String, taskDefinition: String,
        layout: ServiceState? = nil
    ) async throws -> Look {
        let described: ServiceState?
        var listed: [TaskState]?
        if let layout {
            async let now = target.service(service)
            async let running = target.tasks(of: layout, includeStopped: false)
            described = try await now
            listed = try await running
        } else {
            described = try await target.service(service)
        }
        guard let state = described else {
            throw StageFailure("service \(service) disappeared while waiting for its deployment")
        }
        guard let deployment = state.deployments.first(where: { $0.id == deploymentID }) else {
            if !sameRevision(state.taskDefinition, taskDefinition) {
                throw StageFailure(
                    "service \(service) runs \(state.taskDefinition), not \(taskDefinition): deployment \(deploymentID) was replaced or rolled back"
                )
            }
            throw StageFailure("deployment \(deploymentID) of \(service) is gone (replaced by another change)")
        }
        let includeStopped = deployment.failedTasks > 0 || deployment.rolloutState == .failed
        if includeStopped || Set(state.targetGroups) != Set(layout?.targetGroups ?? []) {
            listed = nil
        }
        if listed == nil { listed = try await target.tasks(of: state, includeStopped: includeStopped) }
        let tasks = (listed ?? []).filter { $0.deploymentID == deploymentID }
        let failed = tasks.filter { $0.stopped && $0.failed }
        if deployment.rolloutState == .failed {
            var message = "deployment \(deploymentID) of \(service) FAILED: \(deployment.rolloutStateReason)"
            if let first = failed.first { message += "; task \(first.id) stopped: \(first.stoppedReason ?? "?")" }
            throw StageFailure(message)
        }
        if deployment.status != .primary {
            throw StageFailure(
                "deployment \(deploymentID) of \(service) is no longer PRIMARY (now \(state.primary?.id ?? "none")): another change replaced it"
            )
        }
        if let first = failed.first {
            throw StageFailure(
                "task \(first.id) of \(service) (\(first.taskDefinition)) stopped: \(first.stoppedReason ?? "no reason given")"
            )
        }
        let live = tasks.filter { !$0.stopped }
        let healthy = live.filter(\.isHealthy).count
        let problems = live.compactMap { task in task.problem.map { "task \(task.id): \($0)" } }
        let ready =
            deployment.rolloutState == .completed
            && deployment.runningCount == deployment.desiredCount && healthy >= deployment.desiredCount
        let report =
            "\(deployment.rolloutState) running \(deployment.runningCount)/\(deployment.desiredCount), healthy \(healthy)"
        return Look(
            deployment: deployment, state: state, healthy: healthy, report: report, problems: problems, ready: ready)
    }

    /// Waits until the deployment is ready; throws with what was seen when it fails or times out.
    /// Called right after the change that started the deployment, whose answer already showed its
    /// state: the first look comes one `Backoff` step later, and the looks back off up to `poll`.
    /// `described`: the service as the stage saw it around the change (see `look`'s `layout`).
    static func wait(
        _ target: any DeploymentTarget, service: String, deploymentID: String, taskDefinition: String,
        timeout: Duration, poll: Duration, described: ServiceState? = nil, context: StageContext
    ) async throws -> DeploymentState {
        var layout = described
        let deadline = ContinuousClock.now + timeout
        var lastReported = ""
        var lastProblems: [String] = []
        var failures = TransientFailures()
        var backoff = Backoff(ceiling: poll)
        var delay = backoff.next()
        while true {
            try await context.sleep(for: min(delay, max(deadline - ContinuousClock.now, .zero)))
            delay = backoff.next()
            let look: Look
            do {
                look = try await Self.look(
                    target, service: service, deploymentID: deploymentID, taskDefinition: taskDefinition,
                    layout: layout)
                layout = look.state
                failures.reset()
            } catch let failure as StageFailure {
                context.logger.error("\(failure.message)")
                throw failure
            } catch {
                try failures.absorb(error) { context.logger.warning("\(service): \($0)") }
                // A failing platform is given a whole poll to come back, as before backing off.
                delay = poll
                continue
            }
            if look.report != lastReported {
                context.logger.info("\(service): deployment \(deploymentID) \(look.report)")
                lastReported = look.report
            }
            if look.problems != lastProblems {
                for problem in look.problems where !lastProblems.contains(problem) {
                    context.logger.warning("\(service): \(problem)")
                }
                lastProblems = look.problems
            }
            if look.ready { return look.deployment }
            guard ContinuousClock.now < deadline else {
                var message =
                    "timed out after \(DurationFormat.format(timeout)) waiting for \(service) to run \(taskDefinition) healthy (\(look.report))"
                if !look.problems.isEmpty { message += ": " + look.problems.prefix(3).joined(separator: "; ") }
                context.logger.error("\(message)")
                throw StageFailure(message)
            }
        }
    }
}
