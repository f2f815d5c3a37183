import Testing

@testable import PipelineCore

@Suite struct ExpressionTests {
    @Test(arguments: [
        ("commit.sha", Expression.path(["commit", "sha"])),
        ("  stages.build-1.outputs.family ", .path(["stages", "build-1", "outputs", "family"])),
        ("'it''s'", .literal("it's")),
        ("env.REGION || 'us-east-1'", .or(.path(["env", "REGION"]), .literal("us-east-1"))),
        ("env.A || env.B || 'c'", .or(.or(.path(["env", "A"]), .path(["env", "B"])), .literal("c"))),
        ("42", .number(42)),
        ("true", .bool(true)),
    ])
    func parses(text: String, expected: Expression) throws {
        #expect(try ExpressionParser.parse(text) == expected)
    }

    @Test(arguments: ["", "commit.", "'open", "a ||", "a | b", "commit.sha)", "#x"])
    func rejects(text: String) {
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionParser.parse(text) }
    }

    let scope = ExpressionScope(
        commit: CommitInfo(
            sha: "0123456789abcdef0123456789abcdef01234567", branch: "main", message: "fix it", author: "A <a@x>"),
        pipelineName: "web", runID: "web-7", environment: ["REGION": "eu-west-1", "EMPTY": ""],
        outputs: ["register": ["revision": 12, "arn": "arn:aws:ecs:task-definition/web:12"]],
        target: TargetConfig(settings: ["service": .string("web"), "cluster": .string("prod")]))

    @Test func evaluatesTemplates() throws {
        let t = try Template(parsing: "img:${{ commit.short_sha }}-${{ run.id }} on ${{target.cluster}}")
        #expect(try t.evaluate(in: scope) == .string("img:0123456-web-7 on prod"))
    }

    @Test func aLiteralOpeningIsWrittenAsAnExpression() throws {
        let t = try Template(parsing: "run: ${{ '${{' }} github.sha }} at ${{ commit.short_sha }}")
        #expect(try t.evaluate(in: scope) == .string("run: ${{ github.sha }} at 0123456"))
    }

    @Test func singleExpressionKeepsItsType() throws {
        #expect(try Template(parsing: "${{ stages.register.outputs.revision }}").evaluate(in: scope) == .number(12))
        #expect(try Template(parsing: "r${{ stages.register.outputs.revision }}").evaluate(in: scope) == .string("r12"))
    }

    @Test func environmentDefaults() throws {
        #expect(try Template(parsing: "${{ env.REGION || 'x' }}").evaluate(in: scope) == .string("eu-west-1"))
        #expect(try Template(parsing: "${{ env.MISSING || 'x' }}").evaluate(in: scope) == .string("x"))
        #expect(try Template(parsing: "${{ env.EMPTY || 'x' }}").evaluate(in: scope) == .string("x"))
        #expect(throws: ExpressionError.self) { try Template(parsing: "${{ env.MISSING }}").evaluate(in: scope) }
    }

    @Test func unknownOutputNamesTheKnownOnes() throws {
        do {
            _ = try Template(parsing: "${{ stages.register.outputs.nope }}").evaluate(in: scope)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("arn, revision"))
        }
    }

    @Test func unclosedExpressionReportsOffset() {
        do {
            _ = try Template(parsing: "abc ${{ commit.sha")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 4)
        }
    }

    @Test func literalTemplatesAreNotParsed() throws {
        #expect(try Template(literal: "${{ x }}").evaluate(in: scope) == .string("${{ x }}"))
    }
}
