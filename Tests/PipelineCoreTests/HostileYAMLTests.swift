import Foundation
import Testing

@testable import PipelineCore

/// Anchors, aliases and oversized documents are refused before the YAML parser expands anything.
@Suite struct HostileYAMLTests {
    static let bomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        stages: [*i]
        """

    @Test func billionLaughsIsRefusedAtTheFirstAnchor() throws {
        let error = try #require(throws: PipelineError.self) { try LocatedValue.parse(yaml: Self.bomb, file: "p.yml") }
        #expect(error.message == "p.yml: YAML anchors and aliases are not supported")
        #expect(error.diagnostics.first?.location == SourceLocation(file: "p.yml", line: 1, column: 4))
    }

    @Test(arguments: [
        ("stages:\n  - uses: x\n    with: {v: *ref}\n", 3, 15),
        ("base: &base\n  k: v\n", 1, 7),
        ("list:\n  - *item\n", 2, 5),
        ("a: [1, *x]\n", 1, 8),
        ("k: !!str &a v\n", 1, 10),
    ])
    func anchorsAndAliasesAreFound(text: String, line: Int, column: Int) throws {
        let found = try #require(AnchorScanner.firstAnchorOrAlias(in: text))
        #expect(found.line == line && found.column == column)
    }

    @Test(arguments: [
        "command: echo a && b *c\n",
        "image: \"repo/*:latest\"\n",
        "q: 'it''s *not* an alias'\n",
        "glob: services/**\n",
        "script: |\n  echo *\n  ls &\nnext: v # a *comment &x\n",
        "url: http://x/a&b=*c\n",
        "- [a*, b&]\n",
    ])
    func plainValuesWithStarsAndAmpersandsAreNotAliases(text: String) {
        #expect(AnchorScanner.firstAnchorOrAlias(in: text) == nil)
    }

    @Test func oversizedDocumentIsRefusedBeforeParsing() throws {
        let text = "k: " + String(repeating: "x", count: InputLimits.pipelineFileBytes) + "\n"
        let error = try #require(throws: PipelineError.self) { try LocatedValue.parse(yaml: text, file: "big.yml") }
        #expect(error.message.contains("the limit is \(InputLimits.pipelineFileBytes) bytes"))
    }

    @Test func tooManyNodesIsRefused() throws {
        let text = "[" + Array(repeating: "1", count: InputLimits.documentNodes + 1).joined(separator: ",") + "]"
        let error = try #require(throws: PipelineError.self) { try LocatedValue.parse(yaml: text, file: "n.yml") }
        #expect(error.message.contains("more than \(InputLimits.documentNodes) values"))
    }
}
