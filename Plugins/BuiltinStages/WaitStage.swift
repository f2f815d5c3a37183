import PipelineCore

/// `wait`: pauses the pipeline for a duration (e.g. to let caches expire between stages).
public struct WaitStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "wait", summary: "Pauses for a duration; cancelling the run ends the wait.",
        inputs: [StageInputSpec("duration", .duration, required: true, "how long to wait, e.g. 30s or 5m")],
        outputs: ["waited_ms"])

    public init() {}

    public func run(_ context: StageContext) async throws -> StageOutputs {
        let duration = try context.inputs.duration("duration") ?? .zero
        if context.isDryRun {
            context.logger.info("would wait \(DurationFormat.format(duration))")
            return ["waited_ms": 0]
        }
        context.logger.info("waiting \(DurationFormat.format(duration))")
        try await context.sleep(for: duration)
        return ["waited_ms": .number(Double(duration.milliseconds))]
    }
}
