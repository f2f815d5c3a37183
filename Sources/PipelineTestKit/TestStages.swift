import Foundation
import PipelineCore

/// Stages for testing pipelines and the engine: they touch nothing outside the run.
public enum TestStages {
    /// Every test stage type.
    public static let all: [any Stage.Type] = [NoopStage.self, SleepStage.self, FailStage.self, EchoStage.self]
}

/// Does nothing and succeeds.
public struct NoopStage: Stage {
    /// `noop`: does nothing.
    public static let descriptor = StageDescriptor(
        name: "noop", summary: "Does nothing and succeeds (for tests and benchmarks).", inputs: [])
    /// Creates the stage.
    public init() {}
    /// Returns no outputs.
    public func run(_ context: StageContext) async throws -> StageOutputs { [:] }
}

/// Sleeps for `duration`, honouring cancellation.
public struct SleepStage: Stage {
    /// `sleep`: waits for `with.duration`.
    public static let descriptor = StageDescriptor(
        name: "sleep", summary: "Waits for a duration (for tests).",
        inputs: [StageInputSpec("duration", .duration, required: true, "how long to wait, e.g. 2s")],
        outputs: ["slept_ms"])
    /// Creates the stage.
    public init() {}
    /// Sleeps on the context's clock (cancellable).
    public func run(_ context: StageContext) async throws -> StageOutputs {
        let duration = try context.inputs.duration("duration") ?? .zero
        context.logger.info("sleeping \(DurationFormat.format(duration))")
        try await context.sleep(for: duration)
        return ["slept_ms": .number(Double(duration.milliseconds))]
    }
}

/// Fails with `message`.
public struct FailStage: Stage {
    /// `fail`: fails with `with.message`.
    public static let descriptor = StageDescriptor(
        name: "fail", summary: "Fails with a message (for tests).",
        inputs: [StageInputSpec("message", .string, "the failure message (default: 'failed on purpose')")])
    /// Creates the stage.
    public init() {}
    /// Throws a `StageFailure` with the message.
    public func run(_ context: StageContext) async throws -> StageOutputs {
        let message = try context.inputs.string("message") ?? "failed on purpose"
        context.logger.error("failing: \(message)")
        throw StageFailure(message)
    }
}

/// Returns its scalar inputs as outputs and logs them; also reports the failure it runs under.
public struct EchoStage: Stage {
    /// `echo`: returns its inputs as outputs.
    public static let descriptor = StageDescriptor(
        name: "echo", summary: "Returns its inputs as outputs (for tests).", inputs: nil)
    /// Creates the stage.
    public init() {}
    /// Returns every scalar input as an output of the same key.
    public func run(_ context: StageContext) async throws -> StageOutputs {
        var outputs: StageOutputs = [:]
        for (key, value) in context.inputs.values {
            switch value {
            case .string(let s): outputs[key] = .string(s)
            case .number(let n): outputs[key] = .number(n)
            case .bool(let b): outputs[key] = .bool(b)
            default: continue
            }
            context.logger.info("\(key)=\(value.scalarString ?? "")")
        }
        if let failure = context.failure {
            outputs["failed_stage"] = .string(failure.stage)
            outputs["failure_message"] = .string(failure.message)
        }
        return outputs
    }
}
