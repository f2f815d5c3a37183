import PipelineTestKit
import Testing

@testable import PipelineCore

@Suite struct PipelineLoaderTests {
    let loader = PipelineLoader(registry: StageRegistry(TestStages.all), environment: ["HOME": "/root"])

    static let valid = """
        name: web
        on:
          push:
            branches: [main, "release/*"]
            paths: ["services/web/**"]
        target:
          provider: aws
          region: us-east-1
          cluster: demo
          service: web
        stages:
          - uses: echo
            id: build
            timeout: 2m
            with:
              image: "registry.example.com/web:${{ commit.sha }}"
              port: 8080
          - uses: sleep
            with:
              duration: 1s
          - uses: echo
            id: report
            with:
              family: ${{ stages.build.outputs.image }}
        on_failure:
          - uses: echo
            id: rollback
            with:
              to: "${{ env.ROLLBACK_TO || 'previous' }}"
        """

    @Test func loadsAValidPipeline() throws {
        let p = try loader.load(text: Self.valid, file: "pipelines/web.yml")
        #expect(p.name == "web")
        #expect(p.push?.branches == ["main", "release/*"])
        #expect(p.push?.paths == ["services/web/**"])
        #expect(p.target.cluster == "demo")
        #expect(p.stages.map(\.id) == ["build", "sleep", "report"])
        #expect(p.stages[0].timeout == .seconds(120))
        #expect(p.onFailure.map(\.id) == ["rollback"])
        guard case .number(8080) = p.stages[0].with["port"]?.kind else {
            Issue.record("port should be a number")
            return
        }
    }

    @Test func nameDefaultsToTheFileName() throws {
        let text = "target: {provider: local, service: s}\nstages:\n  - uses: noop\n"
        #expect(try loader.load(text: text, file: "pipelines/api.yaml").name == "api")
    }

    /// Loads and returns the diagnostics, failing the test if the file loads.
    func problems(_ text: String, providers: ProviderRegistry? = nil) -> [Diagnostic] {
        do {
            var loader = loader
            loader.providers = providers
            _ = try loader.load(text: text, file: "pipelines/x.yml")
            Issue.record("expected the pipeline to be rejected")
            return []
        } catch let error as PipelineError {
            #expect(error.code == .invalidPipeline)
            return error.diagnostics
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func reportsEveryProblemWithLineColumnAndPath() {
        let text = """
            target:
              provider: fake
              service: web
              colour: blue
            stages:
              - uses: sleep
                with:
                  duration: soon
              - uses: echo
                id: sleep
              - uses: deploy-everything
              - uses: echo
                with:
                  x: ${{ stages.later.outputs.y }}
                  y: ${{ commit.hash }}
                  z: ${{ env.NOT_SET_ANYWHERE }}
              - uses: echo
                id: later
            """
        let found = problems(text, providers: ProviderRegistry([FakeProvider.self]))
        func find(_ path: String) -> Diagnostic? { found.first { $0.path == path } }
        #expect(find("target.colour")?.location?.line == 4)
        #expect(find("target.colour")?.location?.column == 3)
        #expect(find("stages[0].with.duration")?.message == "expected a duration like 30s or 5m, got 'soon'")
        #expect(find("stages[0].with.duration")?.location?.line == 8)
        #expect(find("stages[1].id")?.message.contains("duplicate id 'sleep'") == true)
        #expect(find("stages[2].uses")?.message.contains("known stages: echo, fail, noop, sleep") == true)
        #expect(find("stages[3].with.x")?.message.contains("runs later") == true)
        #expect(find("stages[3].with.y")?.message.contains("unknown name 'commit.hash'") == true)
        #expect(find("stages[3].with.z")?.message.contains("NOT_SET_ANYWHERE is not set") == true)
        #expect(found.count == 7)
    }

    @Test func unknownKeysSuggestTheNearestOne() {
        let found = problems("target: {provider: local, service: s}\nstages:\n  - uses: noop\n    timout: 5s\n")
        #expect(found.count == 1)
        #expect(found[0].path == "stages[0].timout")
        #expect(found[0].message.contains("did you mean 'timeout'?"))
        #expect(found[0].location?.line == 4)
    }

    @Test func missingRequiredInputAndUnknownInput() {
        let found = problems(
            "target: {provider: local, service: s}\nstages:\n  - uses: sleep\n    with: {durration: 1s}\n")
        #expect(found.contains { $0.path == "stages[0].with.duration" && $0.message.contains("is required") })
        #expect(
            found.contains { $0.path == "stages[0].with.durration" && $0.message.contains("did you mean 'duration'") })
    }

    @Test func malformedYAMLNamesLineAndColumn() {
        let found = problems("stages:\n  - uses: noop\n   bad: [\n")
        #expect(found.count == 1)
        #expect(found[0].location?.line ?? 0 >= 2)
    }

    @Test func wrongTypes() {
        let found = problems("target: [a]\nstages: {uses: noop}\n")
        #expect(found.contains { $0.path == "target" && $0.message == "expected a map, got a list" })
        #expect(found.contains { $0.path == "stages" && $0.message.hasPrefix("expected a list of stages") })
    }

    @Test func badExpressionSyntaxPointsAtTheColumn() {
        let found = problems(
            "target: {provider: local, service: s}\nstages:\n  - uses: echo\n    with:\n      a: x ${{ commit.sha\n")
        #expect(found.count == 1)
        #expect(found[0].message.contains("without a closing"))
        #expect(found[0].location?.line == 5)
        #expect(found[0].location?.column == 12)
    }

    @Test func emptyFileIsAnError() {
        #expect(throws: PipelineError.self) { try loader.load(text: "", file: "p.yml") }
    }
}
