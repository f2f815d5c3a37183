import BuiltinStages
import Foundation
import PipelineCore
import PipelineStore
import Synchronization

/// The stages this binary knows: the built-in ones plus any a custom build registered.
enum StageCatalog {
    private static let extra = Mutex<[any Stage.Type]>([])

    static func register(_ types: [any Stage.Type]) {
        extra.withLock { $0.append(contentsOf: types) }
    }

    /// A registry with every known stage; names it does not know resolve to executable plugins
    /// (`./path` in the repository, or `pipeline-stage-NAME` on the plugin path).
    static func registry(stateDirectory: String? = nil) -> StageRegistry {
        var registry = StageRegistry(BuiltinStages.all)
        for type in extra.withLock({ $0 }) { registry.register(type) }
        let environment = ProcessInfo.processInfo.environment
        let root = stateDirectory ?? RunStore.defaultRoot(flag: nil, environment: environment)
        registry.fallback = ExecutablePlugins.resolver(
            searchPath: ExecutablePlugins.searchPath(environment: environment, stateDirectory: root))
        return registry
    }

    /// Plugins found on the plugin path.
    static func installedPlugins(stateDirectory: String? = nil) -> [StageRegistry.Entry] {
        let environment = ProcessInfo.processInfo.environment
        let root = stateDirectory ?? RunStore.defaultRoot(flag: nil, environment: environment)
        return ExecutablePlugins.installed(
            searchPath: ExecutablePlugins.searchPath(environment: environment, stateDirectory: root))
    }
}
