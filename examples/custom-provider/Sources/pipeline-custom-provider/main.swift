import PipelineCLI
import PipelineKit

// A custom `pipeline` binary: the stock commands and stages, plus one provider and one stage of our own.
await PipelineCommand.main(stages: [ServiceReportStage.self], providers: [SandboxProvider.self])
