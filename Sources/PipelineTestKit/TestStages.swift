import Foundation
import PipelineCore

/// Stages for testing pipelines and the engine: they touch nothing outside the run.
public enum TestStages {
    /// Every test stage type.
    public static let all: [any Stage.Type] = [NoopStage.self, SleepStage.self, FailStage.self, EchoStage.self]
}

/// Does nothing and succeeds.
public struct NoopStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "noop", summary: "Does nothing and succeeds (for tests and benchmarks).", inputs: [])
    public init() {}
    public func run(_ context: StageContext) async throws -> StageOutputs { [:] }
}

/// Sleeps for `duration`, honouring cancellation.
public struct SleepStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "sleep", summary: "Waits for a duration (for tests).",
        inputs: [StageInputSpec("duration", .duration, required: true, "how long to wait, e.g. 2s")],
        outputs: ["slept_ms"])
    public init() {}
    public func run(_ context: StageContext) async throws -> StageOutputs {
        let duration = try context.inputs.duration("duration") ?? .zero
        context.logger.info("sleeping \(DurationFormat.format(duration))")
        try await context.sleep(for: duration)
        return ["slept_ms": .number(Double(duration.milliseconds))]
    }
}

/// Fails with `message`.
public struct FailStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "fail", summary: "Fails with a message (for tests).",
        inputs: [StageInputSpec("message", .string, "the failure message (default: 'failed on purpose')")])
    public init() {}
    public func run(_ context: StageContext) async throws -> StageOutputs {
        let message = try context.inputs.string("message") ?? "failed on purpose"
        context.logger.error("failing: \(message)")
        throw StageFailure(message)
    }
}

/// Returns its scalar inputs as outputs and logs them; also reports the failure it runs under.
public struct EchoStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "echo", summary: "Returns its inputs as outputs (for tests).", inputs: nil)
    public init() {}
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
