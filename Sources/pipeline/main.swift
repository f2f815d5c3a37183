import PipelineCLI

await PipelineCommand.main(stages: [])
