import Foundation
import PipelineCore

/// A weighted canary: the listener routes that forward to the main target group are made to send a
/// share to the canary's target group, in steps, each watched for `step_bake` (the alarm guard judges
/// every step: the exposure window is open). The routes as they were are checkpointed before the first
/// change, so promote, rollback and the recovery of a crashed run put them back exactly.
enum TrafficSteps {
    /// The target groups traffic moves between.
    struct Plan: Sendable {
        let main: String
        let canary: String
    }

    typealias Outputs = CanaryDeployStage.Outputs

    static func run(_ steps: [Int], plan: Plan, bake: Duration, context: StageContext) async throws -> StageOutputs {
        let target = try context.deploymentTarget()
        let routes = try await context.tolerant("routes to \(plan.main)") {
            try await target.trafficRoutes(targetGroup: plan.main)
        }
        guard !routes.isEmpty else {
            throw StageFailure("no listener rule or default action forwards to \(plan.main): no traffic to shift")
        }
        if let shared = routes.first(where: { $0.forward.count != 1 }) {
            let groups = shared.forward.map(\.targetGroup).joined(separator: ", ")
            throw StageFailure(
                "route \(shared.id) already forwards to several target groups (\(groups)): a weighted canary needs routes that forward to \(plan.main) alone"
            )
        }
        let original = try TrafficRoute.encode(routes)
        // Durable before the first change: whatever happens next, this is what gets restored.
        try await context.checkpoint(
            StageOutputs([Outputs.trafficRoutes: .string(original), Outputs.canaryTargetGroup: .string(plan.canary)]))
        var last = 0
        let timer = context.bake()
        defer { timer.end() }
        for (i, percent) in steps.enumerated() {
            let forward = [
                WeightedTarget(targetGroup: plan.main, weight: 100 - percent),
                WeightedTarget(targetGroup: plan.canary, weight: percent),
            ]
            for route in routes {
                try await context.tolerant(route.id) { try await target.setTraffic(route, to: forward) }
            }
            last = percent
            try await context.checkpoint(StageOutputs([Outputs.canaryWeight: .number(Double(percent))]))
            context.logger.info(
                "traffic step \(i + 1)/\(steps.count): main \(100 - percent)%, canary \(percent)% on \(routes.count) route(s); watching for \(DurationFormat.format(bake))"
            )
            if let skip = try await timer.sleep(for: bake) {
                context.logger.info(
                    "bake of step \(i + 1) ended early by \(skip.by) (\(skip.from))\(skip.comment.map { ": \($0)" } ?? "")"
                )
            }
        }
        return StageOutputs([
            Outputs.trafficRoutes: .string(original), Outputs.canaryTargetGroup: .string(plan.canary),
            Outputs.canaryWeight: .number(Double(last)),
        ])
    }

    /// The routes this run recorded before shifting traffic, if it did.
    static func recorded(_ context: StageContext) -> String? { context.recordedStrings(Outputs.trafficRoutes).first }

    /// Puts the routes this run changed back as they were; returns how many (0 when it changed none).
    @discardableResult
    static func restore(_ context: StageContext) async throws -> Int {
        guard let text = recorded(context) else { return 0 }
        let routes: [TrafficRoute]
        do { routes = try TrafficRoute.decode(text) } catch {
            throw StageFailure("the recorded traffic routes cannot be read: \(error)")
        }
        let target = try context.deploymentTarget()
        if context.isDryRun {
            context.logger.info("would put \(routes.count) listener route(s) back as they were before the canary")
            return routes.count
        }
        for route in routes {
            try await context.tolerant(route.id) { try await target.setTraffic(route, to: route.forward) }
        }
        let groups = Set(routes.flatMap { $0.forward.map(\.targetGroup) }).sorted().joined(separator: ", ")
        context.logger.info("put \(routes.count) listener route(s) back as they were: forward to \(groups)")
        return routes.count
    }
}
