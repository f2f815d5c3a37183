import PipelineCore

/// The stages every `pipeline` binary has.
package enum BuiltinStages {
    /// Every built-in stage type.
    package static let all: [any Stage.Type] = [
        BuildTaskDefinitionStage.self, RegisterTaskDefinitionStage.self, CanaryDeployStage.self, AlarmWatchStage.self,
        PromoteStage.self, RollbackStage.self, DNSAliasStage.self, WaitStage.self, ApprovalStage.self, NotifyStage.self,
    ]
}
