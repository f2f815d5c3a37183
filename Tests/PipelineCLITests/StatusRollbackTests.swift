import Foundation
import PipelineTestSupport
import Testing

/// `pipeline status` and `pipeline rollback`, as ecspresso and ecs-deploy users expect them, on moto.
@Suite struct StatusRollbackTests {
    @Test func statusShowsWhatRunsAndRollbackIsARecordedRun() async throws {
        let s = try await ECSPipelineTests.setup()
        let before = try await s.service(s.name)["taskDefinition"] as? String ?? ""
        let deployed = try await s.run("run", "web")
        #expect(deployed.status == 0, "\(deployed.stdout)\(deployed.stderr)")
        let now = try await s.service(s.name)["taskDefinition"] as? String ?? ""
        #expect(now != before)

        let status = try await s.run("status", "web")
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\(s.name): \(now)"), "\(status.stdout)")
        #expect(status.stdout.contains("PRIMARY"))
        #expect(status.stdout.contains("\(s.name)-canary"))
        #expect(status.stdout.contains("\(s.name)-5xx OK"))
        #expect(status.stdout.contains("web-1") && status.stdout.contains("succeeded"))
        let json = try await s.run("status", "web", "--json")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((report["service"] as? [String: Any])?["task_definition"] as? String == now, "\(json.stdout)")

        // Back to the fixture's revision, as a recorded run of the pipeline's own rollback step.
        let back = try await s.run("rollback", "web", "--to", before)
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        #expect(try await s.service(s.name)["taskDefinition"] as? String == before)
        let runs = try await s.run("runs", "--json")
        let list = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(list.first?["trigger"] as? String == "rollback", "\(runs.stdout)")
        #expect(list.first?["status"] as? String == "succeeded")
        // The next failed deploy rolls back to what the rollback left running.
        let after = try await s.run("status", "web")
        #expect(after.stdout.contains("\(s.name): \(before)"), "\(after.stdout)")
    }
}
