import PipelineLocal
import Testing

/// The scheduler's rules, step by step, against the seed's two examples.
@Suite struct RolloutPlanTests {
    typealias T = RolloutPlan.Task

    /// Simulates a rollout of `desired` tasks: each round applies the plan, stopped tasks vanish, started
    /// tasks become healthy. Returns (healthy, total) after each round.
    func simulate(desired: Int, max: Int, min: Int) -> [(healthy: Int, total: Int)] {
        var tasks = (0..<desired).map { T(id: "old-\($0)", primary: false, healthy: true, stopping: false) }
        var rounds: [(Int, Int)] = []
        var next = 0
        for _ in 0..<20 {
            let plan = RolloutPlan.make(desired: desired, maximumPercent: max, minimumHealthyPercent: min, tasks: tasks)
            if plan.start == 0 && plan.stop.isEmpty { break }
            for id in plan.stop { tasks.removeAll { $0.id == id } }
            rounds.append((tasks.filter(\.healthy).count, tasks.count))
            for _ in 0..<plan.start {
                tasks.append(T(id: "new-\(next)", primary: true, healthy: false, stopping: false))
                next += 1
            }
            rounds.append((tasks.filter(\.healthy).count, tasks.count))
            for i in tasks.indices { tasks[i].healthy = true }
        }
        #expect(tasks.count == desired && tasks.allSatisfy(\.primary))
        return rounds
    }

    @Test func maximum200StartsAllNewThenStopsOld() {
        let first = RolloutPlan.make(
            desired: 4, maximumPercent: 200, minimumHealthyPercent: 100,
            tasks: (0..<4).map { T(id: "o\($0)", primary: false, healthy: true, stopping: false) })
        #expect(first == RolloutPlan(start: 4, stop: []))
        let rounds = simulate(desired: 4, max: 200, min: 100)
        #expect(rounds.allSatisfy { $0.healthy >= 4 && $0.total <= 8 })
    }

    @Test func minimum50ReplacesHalfAtATime() {
        let first = RolloutPlan.make(
            desired: 4, maximumPercent: 100, minimumHealthyPercent: 50,
            tasks: (0..<4).map { T(id: "o\($0)", primary: false, healthy: true, stopping: false) })
        #expect(first.start == 0 && first.stop.count == 2)
        let rounds = simulate(desired: 4, max: 100, min: 50)
        #expect(rounds.allSatisfy { $0.healthy >= 2 && $0.total <= 4 })
    }

    @Test func stoppingTasksOccupySlotsAndUnhealthyOldOnesGoFirst() {
        let tasks = [
            T(id: "o1", primary: false, healthy: false, stopping: false),
            T(id: "o2", primary: false, healthy: true, stopping: false),
            T(id: "s", primary: false, healthy: false, stopping: true),
        ]
        let plan = RolloutPlan.make(desired: 2, maximumPercent: 150, minimumHealthyPercent: 50, tasks: tasks)
        #expect(plan.stop == ["o1"])
        #expect(plan.start == 0)  // 3 slots used of 3
    }

    @Test func scaleToZeroAndScaleIn() {
        let tasks = (0..<3).map { T(id: "p\($0)", primary: true, healthy: $0 != 1, stopping: false) }
        #expect(
            RolloutPlan.make(desired: 0, maximumPercent: 200, minimumHealthyPercent: 100, tasks: tasks).stop.count == 3)
        let plan = RolloutPlan.make(desired: 2, maximumPercent: 200, minimumHealthyPercent: 100, tasks: tasks)
        #expect(plan.stop == ["p1"])  // the unhealthy one
        #expect(plan.start == 0)
    }
}
