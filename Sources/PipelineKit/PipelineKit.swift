// Everything a stage or provider author needs, in one import: the engine's protocols and types
// (`Stage`, `Input`, `DeploymentProvider`, `DeploymentTarget`, …) and swift-log. A custom `pipeline`
// binary also imports `PipelineCLI` for `PipelineCommand.main(stages:providers:)`.
@_exported import Logging
@_exported import PipelineCore
