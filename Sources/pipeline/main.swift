import PipelineCLI
import PipelineCore

StartupTrace.mark()
await PipelineCommand.main(stages: [])
