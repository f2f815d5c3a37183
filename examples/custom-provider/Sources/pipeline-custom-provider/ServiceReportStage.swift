import PipelineKit

/// `service-report`: reads the pipeline's service from the run's target, whichever provider made it.
struct ServiceReportStage: Stage {
    static let descriptor = StageDescriptor(
        name: "service-report", summary: "Reports what the pipeline's service runs.", inputs: NoInputs.self,
        outputs: [taskDefinition, runningCount])

    /// The revision the service runs.
    static let taskDefinition: OutputKey = "task_definition"
    /// Its running tasks.
    static let runningCount: OutputKey = "running_count"

    init() {}

    func run(_ context: StageContext) async throws -> StageOutputs {
        guard let name = context.target.service else { throw StageFailure("target.service is not set") }
        guard let service = try await context.deploymentTarget().service(name) else {
            throw StageFailure("service \(name) does not exist on the target")
        }
        context.logger.info("\(name) runs \(service.taskDefinition) with \(service.runningCount) task(s)")
        return StageOutputs([
            Self.taskDefinition: .string(service.taskDefinition),
            Self.runningCount: .number(Double(service.runningCount)),
        ])
    }
}
