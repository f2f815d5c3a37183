import Testing

@testable import PipelineCore

@Suite struct DurationFormatTests {
    @Test(arguments: [
        ("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("500ms", 500), ("0", 0), ("1.5s", 1500),
    ])
    func parses(text: String, milliseconds: Int64) {
        #expect(DurationFormat.parse(text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "5", "5x", "m", "-1s", "1s2"])
    func rejects(text: String) {
        #expect(DurationFormat.parse(text) == nil)
    }

    @Test func formats() {
        #expect(DurationFormat.format(.milliseconds(850)) == "850ms")
        #expect(DurationFormat.format(.milliseconds(12_340)) == "12.3s")
        #expect(DurationFormat.format(.seconds(125)) == "2m05s")
    }
}
