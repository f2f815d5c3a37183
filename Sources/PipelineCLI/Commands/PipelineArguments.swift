import ArgumentParser
import Foundation
import PipelineCore

/// The pipeline a command works on and the repository it is read from, shared by `run`, `status` and
/// `rollback`.
struct PipelineArguments: ParsableArguments {
    @Argument(help: "A pipeline name under pipelines/, its `name:`, or a path to a pipeline file.")
    var pipeline: String

    @Option(help: "The repository to read the pipeline from (default: the one enclosing the current folder).")
    var repo: String?

    /// The commit (or, with `workTree`, the files) the pipeline is read from.
    func resolve(commit: String? = nil, workTree: Bool = false) throws -> ResolvedSource {
        try SourceResolver.resolve(pipeline: pipeline, repo: repo, commit: commit, workTree: workTree)
    }

    /// The pipeline as committed at HEAD, with where it was read from.
    func loadAtHead(_ registry: StageRegistry, environment: [String: String]) throws -> (ResolvedSource, Pipeline) {
        let source = try resolve()
        let definition = try Catalog.loader(registry, environment: environment)
            .load(named: source.pipelineRef, from: source.tree)
        return (source, definition)
    }
}
