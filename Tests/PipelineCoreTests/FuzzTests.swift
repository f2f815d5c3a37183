import Foundation
import PipelineTestKit
import Testing

@testable import PipelineCore

/// Random mutations of valid input: the parsers must answer (a pipeline or a PipelineError), never crash or hang.
@Suite struct FuzzTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array(":-[]{}\"' \n\t#&*!|>%@`${}.,\\0aZ9")

    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> String {
        var chars = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            guard !chars.isEmpty else { break }
            let i = Int.random(in: 0..<chars.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: chars.remove(at: i)
            case 1: chars.insert(alphabet.randomElement(using: &rng)!, at: i)
            case 2: chars[i] = alphabet.randomElement(using: &rng)!
            default:
                let j = min(chars.count, i + Int.random(in: 1...20, using: &rng))
                chars.insert(contentsOf: chars[i..<j], at: i)
            }
        }
        return String(chars)
    }

    @Test func pipelineLoaderSurvivesMutations() {
        let loader = PipelineLoader(registry: StageRegistry(TestStages.all), environment: [:])
        var rng = SeededGenerator(state: 42)
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
        var rng = SeededGenerator(state: 7)
        let seeds = ["commit.sha", "env.A || 'b'", "stages.x.outputs.y", "'a''b' || c.d"]
        for i in 0..<5000 {
            let text = Self.mutate(seeds[i % seeds.count], &rng)
            _ = try? ExpressionParser.parse(text)
            _ = try? Template(parsing: "x${{ \(text) }}y${{")
        }
    }
}
