/// Where in a pipeline new code takes traffic: from the first stage that opens exposure (canary-deploy)
/// to the end of the last one that closes it (promote). Alarm transitions inside it fail the run.
struct SafetyWindow {
    let registry: StageRegistry
    let opensAt: Int?
    let closesAt: Int?

    init(pipeline: Pipeline, registry: StageRegistry) {
        self.registry = registry
        let roles = pipeline.stages.map { registry.resolve($0.uses)?.descriptor.safety.exposure }
        let firstOpen = roles.firstIndex(of: .opens)
        let lastClose = roles.lastIndex(of: .closes)
        opensAt = firstOpen ?? roles.firstIndex(of: .closes)
        closesAt = opensAt == nil ? nil : (lastClose ?? pipeline.stages.count - 1)
    }

    /// Whether a step changes the target (unknown stages count as not changing it).
    func changesTarget(_ step: Step) -> Bool {
        registry.resolve(step.uses)?.descriptor.safety.changesTarget ?? false
    }

    /// Whether the main stage at `index` runs while new code takes traffic.
    func isGuarded(_ index: Int) -> Bool {
        guard let opensAt, let closesAt else { return false }
        return index >= opensAt && index <= closesAt
    }

    /// Whether the window opens with the main stage at `index`.
    func opens(at index: Int) -> Bool { index == opensAt }
}
