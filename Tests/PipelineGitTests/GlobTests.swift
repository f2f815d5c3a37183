import Testing

@testable import PipelineGit

@Suite struct GlobTests {
    @Test(arguments: [
        ("main", "main", true), ("release/*", "release/1.2", true), ("release/*", "release/a/b", false),
        ("services/web/**", "services/web/app/main.py", true), ("services/web/**", "services/api/x", false),
        ("**/*.yml", "pipelines/web.yml", true), ("**/*.yml", "web.yml", true), ("*.md", "docs/a.md", false),
        ("feature-?", "feature-1", true), ("feature-?", "feature-12", false), ("**", "anything/at/all", true),
    ])
    func matches(pattern: String, text: String, expected: Bool) {
        #expect(Glob.matches(pattern, text) == expected)
    }
}
