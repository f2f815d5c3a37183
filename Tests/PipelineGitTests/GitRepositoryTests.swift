import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineGit

@Suite struct GitRepositoryTests {
    @Test func readsFilesAtOldCommitsWhateverTheWorkTreeHolds() throws {
        let fixture = try GitFixture()
        try fixture.write("pipelines/web.yml", "v: 1\n")
        let first = try fixture.commit("one")
        try fixture.write("pipelines/web.yml", "v: 2\n")
        let second = try fixture.commit("two")
        try fixture.write("pipelines/web.yml", "v: dirty\n")
        let repo = try GitRepository.open(fixture.path)
        #expect(String(decoding: try repo.readFile("pipelines/web.yml", at: first), as: UTF8.self) == "v: 1\n")
        #expect(String(decoding: try repo.readFile("pipelines/web.yml", at: second), as: UTF8.self) == "v: 2\n")
        let tree = GitSourceTree(repository: repo, sha: first)
        #expect(try tree.readText("./pipelines/web.yml") == "v: 1\n")
    }

    @Test func resolvesBranchesTagsAndShortShas() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("one")
        try fixture.git("tag", "v1")
        try fixture.git("checkout", "-q", "-b", "feature")
        let second = try fixture.commit("two")
        let repo = try GitRepository.open(fixture.path)
        #expect(try repo.resolve("main") == first)
        #expect(try repo.resolve("v1") == first)
        #expect(try repo.resolve(String(second.prefix(8))) == second)
        #expect(try repo.resolve("HEAD") == second)
        #expect(repo.currentBranch() == "feature")
        #expect(try repo.branches() == ["main": first, "feature": second])
        do {
            _ = try repo.resolve("no-such-ref")
            Issue.record("expected not found")
        } catch {
            #expect(error.isNotFound)
        }
    }

    @Test func commitMetadata() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("one")
        let second = try fixture.commit("two\n\nbody")
        let commit = try GitRepository.open(fixture.path).commit(second)
        #expect(commit.message == "two\n\nbody\n")
        #expect(commit.author == "Test Author <author@example.com>")
        #expect(commit.parents == [first])
        #expect(abs(commit.date.timeIntervalSinceNow) < 300)
    }

    @Test func listsFoldersAndModes() throws {
        let fixture = try GitFixture()
        try fixture.write("stages/smoke", "#!/bin/sh\n", executable: true)
        try fixture.write("stages/lib/helper.txt", "x")
        try fixture.write("README", "r")
        let sha = try fixture.commit("files")
        let repo = try GitRepository.open(fixture.path)
        #expect(
            try repo.listDirectory("stages", at: sha) == [
                SourceEntry(name: "lib", isDirectory: true), SourceEntry(name: "smoke", isDirectory: false),
            ])
        #expect(try repo.listDirectory("", at: sha).map(\.name) == ["README", "stages"])
        let tree = GitSourceTree(repository: repo, sha: sha)
        #expect(try tree.fileMode("stages/smoke") == 0o755)
        #expect(try tree.fileMode("README") == 0o644)
        #expect(throws: PipelineError.self) { try tree.readFile("missing.txt") }
    }

    @Test func changedPathsAndAncestry() throws {
        let fixture = try GitFixture()
        try fixture.write("a.txt", "1")
        try fixture.write("services/web/app.py", "1")
        let first = try fixture.commit("one")
        try fixture.write("services/web/app.py", "2")
        try fixture.git("mv", "a.txt", "b.txt")
        let second = try fixture.commit("two")
        let third = try fixture.commit("empty")
        let repo = try GitRepository.open(fixture.path)
        #expect(try repo.changedPaths(from: first, to: second) == ["a.txt", "b.txt", "services/web/app.py"])
        #expect(try repo.changedPaths(from: nil, to: first) == ["a.txt", "services/web/app.py"])
        #expect(try repo.changedPaths(from: second, to: third) == [])
        #expect(try repo.isDescendant(third, of: first))
        #expect(try !repo.isDescendant(first, of: third))
        #expect(try repo.commits(from: third, downTo: first) == [third, second])
        #expect(try repo.commits(from: third, downTo: nil) == [third, second, first])
    }

    @Test func unsignedCommitHasNoSignature() throws {
        let fixture = try GitFixture()
        let sha = try fixture.commit("plain")
        #expect(try GitRepository.open(fixture.path).signature(of: sha) == nil)
    }

    @Test func openingANonRepositoryFailsClearly() {
        #expect(!GitRepository.exists(at: NSTemporaryDirectory()))
        do {
            _ = try GitRepository.open("/nonexistent/repo")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("/nonexistent/repo"))
        }
    }
}
