extension DeploymentTarget {
    /// One `service(_:)` per name, for targets with no batched read.
    public func services(_ names: [String]) async throws -> [String: ServiceState] {
        var found: [String: ServiceState] = [:]
        for name in Set(names) {
            if let state = try await service(name) { found[name] = state }
        }
        return found
    }

    /// `tasks(service:includeStopped:)`, for targets that gain nothing from the description.
    public func tasks(of service: ServiceState, includeStopped: Bool) async throws -> [TaskState] {
        try await tasks(service: service.name, includeStopped: includeStopped)
    }
}
