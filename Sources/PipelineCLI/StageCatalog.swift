import BuiltinStages
import PipelineCore
import Synchronization

/// The stages this binary knows: the built-in ones plus any a custom build registered.
enum StageCatalog {
    private static let extra = Mutex<[any Stage.Type]>([])

    static func register(_ types: [any Stage.Type]) {
        extra.withLock { $0.append(contentsOf: types) }
    }

    /// A registry with every known stage.
    static func registry() -> StageRegistry {
        var registry = StageRegistry(BuiltinStages.all)
        for type in extra.withLock({ $0 }) { registry.register(type) }
        return registry
    }
}
