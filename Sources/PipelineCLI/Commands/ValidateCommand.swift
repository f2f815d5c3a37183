import ArgumentParser
import Foundation
import PipelineCore
import PipelineGit

/// `pipeline validate`: checks pipeline files without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check pipeline files (default: every file under pipelines/).")

    @Argument(help: "Pipeline files to check.")
    var files: [String] = []

    @Option(help: "The repository whose pipelines/ to check (default: the one enclosing the current folder).")
    var repo: String?

    @Flag(
        name: .customLong("work-tree"),
        help: "Check the files as they are (default: as committed at HEAD, which is what `run` deploys).")
    var workTree = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let registry = Catalog.registry()
        let loader = Catalog.loader(registry, environment: ProcessInfo.processInfo.environment)
        let (root, _) = SourceResolver.locate(pipeline: "x", repo: repo)
        let files = DirectorySourceTree(root: root)
        // What `run` reads: HEAD. The work tree only when asked (or when there is no repository).
        var tree: any SourceTree = files
        if !workTree, GitRepository.exists(at: root.path) {
            tree = try SourceResolver.resolve(pipeline: "x", repo: root.path, commit: nil).tree
            let changed = Self.uncommittedPipelineFiles(work: files, head: tree)
            if !changed.isEmpty, !json {
                Terminal.note(
                    "\(changed.joined(separator: ", ")) \(changed.count == 1 ? "has" : "have") uncommitted changes: checked as committed at HEAD; `pipeline validate --work-tree` checks the files as they are"
                )
            }
        } else if !workTree, !json {
            Terminal.note("\(root.path) is not a git repository: checking the files as they are")
        }
        var targets: [(any SourceTree, String)] = []
        if self.files.isEmpty {
            let found = (try? PipelineLoader.pipelineFiles(in: tree)) ?? []
            guard !found.isEmpty else {
                throw PipelineError(
                    .notFound, "no pipeline files (*.yml) under \(root.path)/pipelines in \(tree.description)")
            }
            targets = found.map { (tree, $0) }
        } else {
            for file in self.files {
                let (_, ref) = SourceResolver.locate(pipeline: file, repo: repo)
                targets.append((tree, ref))
            }
        }
        var results: [FileResult] = []
        for (tree, ref) in targets {
            do {
                if tree is GitSourceTree, (try? tree.readFile(ref)) == nil, (try? files.readFile(ref)) != nil {
                    throw PipelineError(
                        .invalidInput,
                        "\(ref) is not committed (validate checks HEAD, what `run` deploys); `pipeline validate --work-tree` checks it as it is"
                    )
                }
                // Every layer in one pass: the file's problems, then preflight (templates, inputs) of
                // every step that could be read, so a typo'd stage name does not hide a missing template.
                let pipeline = try loader.loadAndPreflight(
                    file: ref, from: tree, commit: .workingTree, environment: ProcessInfo.processInfo.environment)
                results.append(FileResult(file: ref, ok: true, pipeline: pipeline.name, problems: []))
            } catch let error as PipelineError {
                let problems =
                    error.diagnostics.isEmpty
                    ? [Problem(file: ref, line: nil, column: nil, path: nil, message: error.message)]
                    : error.diagnostics.map(Problem.init)
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
                    for problem in result.problems {
                        FileHandle.standardError.write(Data("  \(problem.text)\n".utf8))
                    }
                }
            }
        }
        if results.contains(where: { !$0.ok }) { throw ExitCode(2) }
    }

    /// Pipeline files whose work-tree bytes differ from HEAD's (or that HEAD lacks).
    static func uncommittedPipelineFiles(work: any SourceTree, head: any SourceTree) -> [String] {
        let here = Set((try? PipelineLoader.pipelineFiles(in: work)) ?? [])
        let there = Set((try? PipelineLoader.pipelineFiles(in: head)) ?? [])
        return here.union(there).sorted().filter { (try? work.readFile($0)) != (try? head.readFile($0)) }
    }

    struct FileResult: Encodable {
        var file: String
        var ok: Bool
        var pipeline: String?
        var problems: [Problem]
    }

    /// One problem, located: what `--json` gives for each (the text output prints `text`).
    struct Problem: Encodable {
        var file: String
        var line: Int?
        var column: Int?
        var path: String?
        var message: String

        init(file: String, line: Int?, column: Int?, path: String?, message: String) {
            self.file = file
            self.line = line
            self.column = column
            self.path = path
            self.message = message
        }

        init(_ diagnostic: Diagnostic) {
            file = diagnostic.location?.file ?? ""
            line = diagnostic.location?.line
            column = diagnostic.location?.column
            path = diagnostic.path.isEmpty ? nil : diagnostic.path
            message = diagnostic.message
        }

        /// As the text output prints it: `file:line:column: path: message`.
        var text: String {
            Diagnostic(
                location: line.map { SourceLocation(file: file, line: $0, column: column ?? 1) }, path: path ?? "",
                message: message
            ).description
        }
    }
}
