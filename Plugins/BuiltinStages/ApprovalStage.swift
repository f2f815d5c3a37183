import Foundation
import PipelineCore

/// `approval`: waits, with the target's lock held, until an operator approves (`pipeline approve`) or
/// rejects (`pipeline reject`, then `on_failure` runs) — from any terminal or machine that shares the
/// state — or until its time is up (rejected unless `on_timeout: approve`).
package struct ApprovalStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "approval",
        summary:
            "Waits for `pipeline approve RUN_ID` or `pipeline reject RUN_ID` (→ on_failure); `approvers` limits who may answer; rejects at `timeout` by default.",
        inputs: Inputs.self,
        outputs: [Outputs.decision, Outputs.decidedBy, Outputs.decidedAt, Outputs.comment])

    /// What `approval` takes under `with:`.
    package struct Inputs: InputDeclarations {
        let approvers = Input<[String]>(
            "approvers", default: [],
            help: "who may approve or reject (`PIPELINE_ACTOR`, else the login name); empty: anyone")
        let timeout = Input<Duration>(
            "timeout", default: .seconds(3600), help: "how long to wait for an answer", check: .atLeast(.seconds(1)))
        let onTimeout = Input<String>(
            "on_timeout", default: "reject", help: "`reject` or `approve` when no answer came in time",
            check: InputCheck("reject or approve") {
                ["reject", "approve"].contains($0) ? nil : "must be reject or approve, got '\($0)'"
            })
        let message = Input<String?>("message", help: "what the operator is asked, shown by `status` and notifications")
        /// The declarations.
        package init() {}
    }

    /// The outputs `approval` returns (and records when it rejects).
    package enum Outputs {
        /// `approved`, `rejected`, or `approved_on_timeout` / `rejected_on_timeout`.
        package static let decision: OutputKey = "decision"
        /// Who answered (empty on timeout).
        package static let decidedBy: OutputKey = "decided_by"
        /// When, ISO 8601.
        package static let decidedAt: OutputKey = "decided_at"
        /// The operator's comment.
        package static let comment: OutputKey = "comment"
    }

    package init() {}

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let approvers = inputs.approvers
        let question = inputs.message ?? "approve \(context.run.pipeline) at \(context.commit.shortSHA)?"
        let who = approvers.isEmpty ? "anyone" : approvers.joined(separator: ", ")
        if context.isDryRun {
            context.logger.info("would wait up to \(DurationFormat.format(inputs.timeout)) for approval by \(who)")
            return StageOutputs([Outputs.decision: "approved"])
        }
        context.logger.info(
            "waiting up to \(DurationFormat.format(inputs.timeout)) for approval by \(who): \(question) — `pipeline approve \(context.run.id)` or `pipeline reject \(context.run.id)`"
        )
        let request = try await context.waitForOperator(
            [.approve, .reject], limit: inputs.timeout, message: "waiting for approval by \(who): \(question)",
            refuse: { request in
                approvers.isEmpty || approvers.contains(request.by)
                    ? nil : "\(request.by) is not among the approvers (\(approvers.joined(separator: ", ")))"
            })
        guard let request else {
            let approve = inputs.onTimeout == "approve"
            let outputs = StageOutputs([
                Outputs.decision: .string(approve ? "approved_on_timeout" : "rejected_on_timeout"),
                Outputs.decidedBy: "", Outputs.decidedAt: .string(Timestamp.precise(Date())),
            ])
            let said = "no answer in \(DurationFormat.format(inputs.timeout))"
            guard approve else {
                try await context.checkpoint(outputs)
                throw StageFailure("\(said): rejected (on_timeout: reject)")
            }
            context.logger.info("\(said): approved (on_timeout: approve)")
            return outputs
        }
        let approved = request.kind == .approve
        let outputs = StageOutputs([
            Outputs.decision: .string(approved ? "approved" : "rejected"), Outputs.decidedBy: .string(request.by),
            Outputs.decidedAt: .string(Timestamp.precise(request.at)), Outputs.comment: .string(request.comment ?? ""),
        ])
        let said = "\(approved ? "approved" : "rejected") by \(request.by) (\(request.from))"
        guard approved else {
            try await context.checkpoint(outputs)
            throw StageFailure("\(said)\(request.comment.map { ": \($0)" } ?? "")")
        }
        context.logger.info("\(said)\(request.comment.map { ": \($0)" } ?? "")")
        return outputs
    }
}
