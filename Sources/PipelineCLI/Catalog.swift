import BuiltinStages
import Foundation
import PipelineAWS
import PipelineCore
import PipelineLocal
import PipelineStore

/// The stages and providers this binary knows: the built-in ones plus those a custom build passed to
/// `PipelineCommand.main(stages:providers:)`, for the duration of that call (a task-local value, not
/// a global list).
enum Catalog {
    /// What a custom build adds.
    struct Additions: Sendable {
        var stages: [any Stage.Type] = []
        var providers: [any DeploymentProvider.Type] = []
    }

    @TaskLocal static var additions = Additions()

    /// The built-in providers.
    static let builtinProviders: [any DeploymentProvider.Type] = [AWSProvider.self, LocalProvider.self]

    /// Every known provider.
    static var providers: ProviderRegistry { ProviderRegistry(builtinProviders + additions.providers) }

    /// A registry with every known stage; names it does not know resolve to executable plugins
    /// (`./path` in the repository, or `pipeline-stage-NAME` on the plugin path).
    static func registry(stateDirectory: String? = nil) -> StageRegistry {
        var registry = StageRegistry(BuiltinStages.all + additions.stages)
        let environment = ProcessInfo.processInfo.environment
        let root = StateOptions.localRoot(flag: stateDirectory, environment: environment)
        registry.fallback = ExecutablePlugins.resolver(
            searchPath: ExecutablePlugins.searchPath(environment: environment, stateDirectory: root))
        return registry
    }

    /// Plugins found on the plugin path.
    static func installedPlugins(stateDirectory: String? = nil) -> [StageRegistry.Entry] {
        let environment = ProcessInfo.processInfo.environment
        let root = StateOptions.localRoot(flag: stateDirectory, environment: environment)
        return ExecutablePlugins.installed(
            searchPath: ExecutablePlugins.searchPath(environment: environment, stateDirectory: root))
    }

    /// A loader that knows every stage and provider.
    static func loader(_ registry: StageRegistry, environment: [String: String]?) -> PipelineLoader {
        PipelineLoader(registry: registry, providers: providers, environment: environment)
    }
}
