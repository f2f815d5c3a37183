import PipelineCore
import Testing

@Suite struct LocatedValueTests {
    @Test func locatesKeyPathsWithListIndexes() throws {
        let yaml = """
            target:
              provider: local
              alarms:
                - name: a
                - {name: b, threshold: 3}
            """
        let root = try LocatedValue.parse(yaml: yaml, file: "p.yml")
        #expect(root.locate("target.provider").description == "p.yml:2:13")
        #expect(root.locate("target.alarms[1].threshold").description == "p.yml:5:28")
        // A key that is not there points at the nearest node that is.
        #expect(root.locate("target.alarms[1].metric").description == "p.yml:5:7")
        #expect(root.locate("target.alarms[7]").line == 4)
    }

    @Test func aTabInTheIndentationIsNamedAsSuch() {
        do {
            _ = try LocatedValue.parse(yaml: "stages:\n\t- uses: noop\n", file: "p.yml")
            Issue.record("a tab in the indentation was accepted")
        } catch let error as PipelineError {
            #expect(error.diagnostics.first?.message == "a tab in the indentation: YAML indents with spaces only")
            #expect(error.diagnostics.first?.location?.description == "p.yml:2:1")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
