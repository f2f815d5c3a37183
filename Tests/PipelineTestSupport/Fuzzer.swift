import Foundation

/// A deterministic random number generator (SplitMix64): the same seed gives the same inputs.
package struct SeededGenerator: RandomNumberGenerator, Sendable {
    package var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded mutations of valid inputs, for fuzzing the parsers: characters YAML, JSON and expressions
/// give meaning to, removals, copies of nearby runs (nesting), and anchors and aliases.
package enum Mutator {
    static let alphabet = Array(":-[]{}\"' \n\t#&*!|>%@`${}.,\\0aZ9")
    static let fragments = [
        "&a ", "*a", "<<: *a", "${{ ", " }}", "${{ env.X || 'y' }}", "\n  - ", ": ", "{", "}", "[", "]", "\"",
        "!!binary ", "? ", "\u{FEFF}", "\u{0}", "\\u0000", "1e999", "-0", "~", "'''", "\r\n",
    ]

    /// One to six edits of `text`.
    package static func mutate(_ text: String, _ rng: inout SeededGenerator) -> String {
        var chars = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            guard !chars.isEmpty else {
                chars = Array(fragments.randomElement(using: &rng)!)
                continue
            }
            let i = Int.random(in: 0..<chars.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: chars.remove(at: i)
            case 1: chars.insert(alphabet.randomElement(using: &rng)!, at: i)
            case 2: chars[i] = alphabet.randomElement(using: &rng)!
            case 3: chars.insert(contentsOf: fragments.randomElement(using: &rng)!, at: i)
            case 4:
                let j = min(chars.count, i + Int.random(in: 1...40, using: &rng))
                chars.removeSubrange(i..<j)
            default:
                let j = min(chars.count, i + Int.random(in: 1...20, using: &rng))
                chars.insert(contentsOf: chars[i..<j], at: i)
            }
        }
        return String(chars)
    }
}
