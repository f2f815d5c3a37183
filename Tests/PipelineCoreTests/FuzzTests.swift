import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineCore

/// Random mutations of valid input: the parsers must answer (a pipeline or a PipelineError), never crash or hang.
@Suite struct FuzzTests {
    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> String { Mutator.mutate(text, &rng) }

    @Test func pipelineLoaderSurvivesMutations() {
        let loader = PipelineLoader(registry: StageRegistry(TestStages.all), environment: [:])
        var rng = SeededGenerator(seed: 42)
        var accepted = 0
        var rejected = 0
        for _ in 0..<3000 {
            let text = Self.mutate(PipelineLoaderTests.valid, &rng)
            do {
                _ = try loader.load(text: text, file: "f.yml")
                accepted += 1
            } catch is PipelineError {
                rejected += 1
            } catch {
                Issue.record("unexpected error type \(type(of: error)): \(error)")
            }
        }
        #expect(accepted + rejected == 3000)
        #expect(rejected > 100)
    }

    @Test func expressionParserSurvivesMutations() {
        var rng = SeededGenerator(seed: 7)
        let seeds = ["commit.sha", "env.A || 'b'", "stages.x.outputs.y", "'a''b' || c.d"]
        for i in 0..<5000 {
            let text = Self.mutate(seeds[i % seeds.count], &rng)
            _ = try? ExpressionParser.parse(text)
            _ = try? Template(parsing: "x${{ \(text) }}y${{")
        }
    }
}
