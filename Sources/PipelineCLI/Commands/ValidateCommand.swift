import ArgumentParser
import Foundation
import PipelineCore

/// `pipeline validate`: checks pipeline files without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check pipeline files (default: every file under pipelines/).")

    @Argument(help: "Pipeline files to check.")
    var files: [String] = []

    @Option(help: "The repository whose pipelines/ to check (default: the current folder).")
    var repo: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let registry = Catalog.registry()
        let loader = Catalog.loader(registry, environment: ProcessInfo.processInfo.environment)
        var targets: [(any SourceTree, String)] = []
        if files.isEmpty {
            let (root, _) = SourceResolver.locate(pipeline: "x", repo: repo)
            let tree = DirectorySourceTree(root: root)
            let found = (try? PipelineLoader.pipelineFiles(in: tree)) ?? []
            guard !found.isEmpty else {
                throw PipelineError(.notFound, "no pipeline files (*.yml) under \(root.path)/pipelines")
            }
            targets = found.map { (tree, $0) }
        } else {
            for file in files {
                let (root, ref) = SourceResolver.locate(pipeline: file, repo: repo)
                targets.append((DirectorySourceTree(root: root), ref))
            }
        }
        var results: [FileResult] = []
        for (tree, ref) in targets {
            do {
                let text = try tree.readText(ref)
                let pipeline = try loader.load(text: text, file: ref)
                try Preflight.check(
                    pipeline, registry: registry, source: tree, commit: .workingTree,
                    environment: ProcessInfo.processInfo.environment)
                results.append(FileResult(file: ref, ok: true, pipeline: pipeline.name, problems: []))
            } catch let error as PipelineError {
                let problems = error.diagnostics.isEmpty ? [error.message] : error.diagnostics.map(\.description)
                results.append(FileResult(file: ref, ok: false, pipeline: nil, problems: problems))
            }
        }
        if json {
            print(try Terminal.json(results))
        } else {
            for result in results {
                if result.ok {
                    print("✓ \(result.file) (\(result.pipeline ?? ""))")
                } else {
                    FileHandle.standardError.write(Data("✗ \(result.file)\n".utf8))
                    for problem in result.problems { FileHandle.standardError.write(Data("  \(problem)\n".utf8)) }
                }
            }
        }
        if results.contains(where: { !$0.ok }) { throw ExitCode(2) }
    }

    struct FileResult: Encodable {
        var file: String
        var ok: Bool
        var pipeline: String?
        var problems: [String]
    }
}
