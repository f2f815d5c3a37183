/// Why a step's watched alarms could not be read from its inputs.
public struct WatchedAlarmsError: Error, Sendable {
    /// The step's id.
    public var step: String
    /// What went wrong.
    public var underlying: any Error
}

extension Pipeline {
    /// The alarms the pipeline's main stages watch (alarm-watch and any stage declaring some), read
    /// from the inputs known in `scope`; throws `WatchedAlarmsError` naming the step.
    public func watchedAlarms(registry: StageRegistry, scope: ExpressionScope) throws -> [AlarmWatchSpec] {
        var specs: [AlarmWatchSpec] = []
        for step in stages {
            guard let entry = registry.resolve(step.uses) else { continue }
            do {
                if let spec = try type(of: entry.make()).watchedAlarms(step.knownInputs(in: scope)) {
                    specs.append(spec)
                }
            } catch {
                throw WatchedAlarmsError(step: step.id, underlying: error)
            }
        }
        return specs
    }
}
