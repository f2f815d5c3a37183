import Foundation
import PipelineTestSupport
import Testing

/// The library products are cut where stage and provider authors need them, and a third provider plus
/// a stage that uses its target work from outside the package's own modules.
@Suite struct ProductTests {
    struct Manifest: Decodable {
        struct Target: Decodable {
            var name: String
            var type: String
            var dependencies: [Dependency]
        }
        struct Product: Decodable {
            var name: String
            var targets: [String]
        }
        /// `{"byName": [name, …]}`, `{"target": [name, …]}` or `{"product": [name, package, …]}`.
        struct Dependency: Decodable {
            var byName: [String?]?
            var target: [String?]?
            var product: [String?]?
            var name: String? { (byName ?? target ?? product)?.first ?? nil }
            var isProduct: Bool { product != nil }
        }
        var targets: [Target]
        var products: [Product]
    }

    static func manifest() throws -> Manifest {
        let scratch = NSTemporaryDirectory() + "dump-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let out = try ProcessRunner.run(
            "swift", ["package", "--scratch-path", scratch, "dump-package"], cwd: repositoryRoot.path)
        #expect(out.status == 0, "\(out.stderr)")
        return try JSONDecoder().decode(Manifest.self, from: Data(out.stdout.utf8))
    }

    @Test func pipelineKitPullsInNoCLIOrNetworkingLibrary() throws {
        let manifest = try Self.manifest()
        let byName = Dictionary(uniqueKeysWithValues: manifest.targets.map { ($0.name, $0) })
        var targets: Set<String> = []
        var externals: Set<String> = []
        var queue = manifest.products.first { $0.name == "PipelineKit" }?.targets ?? []
        #expect(!queue.isEmpty)
        while let name = queue.popLast() {
            guard let target = byName[name] else {
                externals.insert(name)
                continue
            }
            guard targets.insert(name).inserted else { continue }
            for dependency in target.dependencies {
                guard let dep = dependency.name else { continue }
                if dependency.isProduct { externals.insert(dep) } else { queue.append(dep) }
            }
        }
        #expect(targets == ["PipelineKit", "PipelineCore"])
        #expect(externals == ["Logging", "Yams"])
        for banned in ["ArgumentParser", "AsyncHTTPClient", "NIOCore", "NIOPosix", "PipelineCLI", "PipelineAWS"] {
            #expect(!externals.contains(banned) && !targets.contains(banned), "\(banned)")
        }
    }

    @Test func onlyExecutablesImportTheCLI() throws {
        let manifest = try Self.manifest()
        let executables = Set(manifest.targets.filter { $0.type == "executable" }.map(\.name))
        for target in manifest.targets where target.dependencies.contains(where: { $0.name == "PipelineCLI" }) {
            #expect(executables.contains(target.name), "\(target.name) depends on PipelineCLI")
        }
        let libraries = ["Sources", "Plugins", "Tests"].map { repositoryRoot.appendingPathComponent($0).path }
        for folder in libraries {
            let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") && !file.hasPrefix("pipeline") {
                let text = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                let imports = text.split(separator: "\n").contains {
                    $0.hasPrefix("import PipelineCLI") || $0.hasPrefix("@testable import PipelineCLI")
                }
                #expect(!imports, "\(folder)/\(file) imports PipelineCLI")
            }
        }
    }

    @Test func aCustomProviderAndAStageThatUsesItsTarget() throws {
        let binary = ProcessRunner.productsFolder.appendingPathComponent("pipeline-custom-provider").path
        let repo = try GitFixture()
        try repo.write(
            "pipelines/rehearsal.yml",
            """
            target: {provider: sandbox, service: web, seed_revision: "web:1"}
            stages:
              - {uses: service-report, id: before}
              - {uses: canary-deploy, with: {task_definition: "web:2", poll_interval: 10ms}}
              - {uses: promote, with: {task_definition: "web:2", poll_interval: 10ms}}
              - {uses: service-report, id: after}

            """)
        try repo.write(
            "pipelines/lazy.yml",
            "target: {provider: sandbox, service: api, seed_revision: \"api:4\", desired_count: 3}\n"
                + "stages:\n  - {uses: service-report, id: only}\n")
        try repo.write(
            "pipelines/bad.yml",
            "target:\n  provider: sandbox\n  service: web\n  seed_revision: web\nstages:\n  - {uses: service-report}\n")
        try repo.commit("rehearsal")
        let cli = CLI(cwd: repo.path)
        let run = try cli.run("run", "rehearsal", "--json", binary: binary)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let stages = record?["stages"] as? [[String: Any]] ?? []
        func output(_ id: String, _ key: String) -> String? {
            let outputs = stages.first { $0["id"] as? String == id }?["outputs"] as? [String: Any]
            return outputs?[key].map { "\($0)" }
        }
        #expect(output("before", "task_definition") == "web:1")
        #expect(output("after", "task_definition") == "web:2")
        #expect(output("after", "running_count") == "2")
        // No built-in stage declares a target here: the custom stage gets one made on first use.
        let lazy = try cli.run("run", "lazy", "--json", binary: binary)
        #expect(lazy.status == 0, "\(lazy.stderr)")
        #expect(lazy.stdout.contains("api:4"))
        // The provider's settings are checked at load time, with file and line.
        let bad = try cli.run("validate", "pipelines/bad.yml", binary: binary)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.yml:4"), "\(bad.stderr)")
        #expect(bad.stderr.contains("expected family:revision"))
        let providers = try cli.run("validate", "pipelines/rehearsal.yml", binary: CLI.stockBinary)
        #expect(providers.status == 2)
        #expect(providers.stderr.contains("unknown provider 'sandbox'; expected aws or local"))
    }
}
