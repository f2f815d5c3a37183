import PipelineCore

/// `wait`: pauses the pipeline for a duration (e.g. to let caches expire between stages).
package struct WaitStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "wait", summary: "Pauses for a duration; cancelling the run ends the wait.",
        inputs: Inputs.self,
        outputs: [Outputs.waitedMilliseconds])

    /// What `wait` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let duration = Input<Duration>(required: "duration", help: "how long to wait, e.g. 30s or 5m")
        /// The declarations.
        package init() {}
    }

    /// The outputs `wait` returns.
    package enum Outputs {
        /// How long it waited (0 in a dry run).
        package static let waitedMilliseconds: OutputKey = "waited_ms"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let duration = try context.inputs(Inputs.self).duration
        if context.isDryRun {
            context.logger.info("would wait \(DurationFormat.format(duration))")
            return StageOutputs([Outputs.waitedMilliseconds: 0])
        }
        context.logger.info("waiting \(DurationFormat.format(duration))")
        try await context.sleep(for: duration)
        return StageOutputs([Outputs.waitedMilliseconds: .number(Double(duration.milliseconds))])
    }
}
