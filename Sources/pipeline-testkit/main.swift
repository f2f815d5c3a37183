import PipelineCLI
import PipelineTestKit

// The stock `pipeline` command with the test kit's stages registered: the way a custom build adds stages.
await PipelineCommand.main(stages: TestStages.all)
