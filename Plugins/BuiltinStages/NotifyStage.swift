import PipelineCore

/// `notify`: sends a message to the pipeline's `notify:` destinations (webhook, Slack, GitHub take
/// `message` events). Never fails and never waits for delivery: a dead receiver costs the run nothing.
package struct NotifyStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "notify",
        summary:
            "Sends a message to the pipeline's `notify:` destinations, in the background; never fails the run.",
        inputs: Inputs.self, outputs: [Outputs.destinations])

    /// What `notify` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let message = Input<String>(required: "message", help: "the text, e.g. `canary of ${{ commit.sha }} is live`")
        /// The declarations.
        package init() {}
    }

    /// The outputs `notify` returns.
    package enum Outputs {
        /// How many destinations the message was queued for.
        package static let destinations: OutputKey = "destinations"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let message = try context.inputs(Inputs.self).message
        if context.isDryRun {
            context.logger.info("would notify: \(message)")
            return StageOutputs([Outputs.destinations: 0])
        }
        guard let sink = context.services.get(NotificationSinkBox.self)?.sink else {
            context.logger.info("no notify: destinations; message not sent: \(message)")
            return StageOutputs([Outputs.destinations: 0])
        }
        let count = sink.notify(message, stage: context.step.id)
        context.logger.info("queued for \(count) destination(s): \(message)")
        return StageOutputs([Outputs.destinations: .number(Double(count))])
    }
}
