import Foundation
import PipelineTestKit
import Testing

/// Hostile input and faults, through the real CLI.
@Suite struct FaultTests {
    /// A pipeline against an endpoint nothing listens on.
    static func deadEndpointRepo(alarms: Bool) throws -> GitFixture {
        var stages = """
            stages:
              - {uses: build-task-definition, id: build, with: {template: td.json, image: "repo/app:${{ commit.sha }}"}}
              - {uses: register-task-definition, id: register}
              - {uses: canary-deploy, id: canary}

            """
        if alarms { stages += "  - {uses: alarm-watch, id: bake, with: {alarms: [web-5xx], bake_time: 1s}}\n" }
        let repo = try repoWith(
            [
                "web": "target: {provider: aws, region: us-east-1, cluster: c, service: web}\n" + stages
                    + "on_failure:\n  - {uses: rollback}\n"
            ],
            files: [
                "td.json":
                    #"{"family": "web", "containerDefinitions": [{"name": "app", "image": "x", "memory": 128}]}"#
            ])
        return repo
    }

    @Test(arguments: [true, false])
    func refusedEndpointFailsWithinSecondsNamingIt(alarms: Bool) async throws {
        let repo = try Self.deadEndpointRepo(alarms: alarms)
        let cli = CLI(
            cwd: repo.path,
            environment: [
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
            ])
        let started = ContinuousClock.now
        let out = try await offThread {
            try ProcessRunner.run(CLI.stockBinary, ["run", "web"], cwd: cli.cwd, environment: cli.environment)
        }
        let took = ContinuousClock.now - started
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("could not connect to http://127.0.0.1:9: connection refused"), "\(out.stdout)")
        #expect(!out.stdout.contains("errno"))
        // Three attempts with backoff, not three 30 s attempts (and the rollback's as many again).
        #expect(took < .seconds(20), "took \(took)")
        print("refused endpoint (alarm baseline first: \(alarms)): failed in \(took)")
    }
}
