// Everything a custom Swift stage or a custom `pipeline` binary needs, in one import.
@_exported import Logging
@_exported import PipelineCLI
@_exported import PipelineCore
@_exported import PipelineStore
