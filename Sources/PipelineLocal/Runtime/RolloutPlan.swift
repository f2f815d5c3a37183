/// What a service's scheduler does next, from ECS's rules: at most `maximumPercent` of the desired
/// count running (draining and stopping tasks included) and at least `minimumHealthyPercent` healthy.
package struct RolloutPlan: Sendable, Equatable {
    /// A task as the plan sees it.
    package struct Task: Sendable, Equatable {
        package var id: String
        /// Belongs to the PRIMARY deployment.
        package var primary: Bool
        /// Passed its health checks and serves.
        package var healthy: Bool
        /// Being drained or stopped: still occupies a slot, no longer counts.
        package var stopping: Bool
        package init(id: String, primary: Bool, healthy: Bool, stopping: Bool) {
            self.id = id
            self.primary = primary
            self.healthy = healthy
            self.stopping = stopping
        }
    }

    /// How many PRIMARY tasks to start.
    package var start: Int
    /// Tasks to drain and stop.
    package var stop: [String]

    package init(start: Int, stop: [String]) {
        self.start = start
        self.stop = stop
    }

    package static func make(desired: Int, maximumPercent: Int, minimumHealthyPercent: Int, tasks: [Task])
        -> RolloutPlan
    {
        let maxTotal = max(desired, desired * maximumPercent / 100)
        let minHealthy = (desired * minimumHealthyPercent + 99) / 100
        let active = tasks.filter { !$0.stopping }
        let healthy = active.filter(\.healthy).count
        var removable = max(0, healthy - minHealthy)
        var stop: [String] = []
        let old = active.filter { !$0.primary }
        // Old tasks that don't serve go first; healthy ones only while enough stay healthy.
        for task in old where !task.healthy { stop.append(task.id) }
        for task in old where task.healthy && removable > 0 {
            stop.append(task.id)
            removable -= 1
        }
        let primary = active.filter(\.primary)
        var excess = primary.count - desired
        for task in primary.sorted(by: { !$0.healthy && $1.healthy }) where excess > 0 {
            if task.healthy {
                guard removable > 0 else { break }
                removable -= 1
            }
            stop.append(task.id)
            excess -= 1
        }
        let start = max(0, min(desired - primary.count, maxTotal - tasks.count))
        return RolloutPlan(start: start, stop: stop)
    }
}
