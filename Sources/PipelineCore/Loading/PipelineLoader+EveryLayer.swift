extension PipelineLoader {
    /// Loads a pipeline file and runs every stage's preflight, reporting every problem of both layers at
    /// once: a typo'd stage name does not hide a missing template. Throws `PipelineError` (exit 2).
    public func loadAndPreflight(
        file: String, from source: any SourceTree, commit: CommitInfo, environment: [String: String]
    ) throws -> Pipeline {
        let (read, problems) = try loadReporting(text: try source.readText(file), file: file)
        var all = problems
        if let read {
            do {
                try Preflight.check(read, registry: registry, source: source, commit: commit, environment: environment)
            } catch let error as PipelineError {
                if problems.isEmpty { throw error }
                all +=
                    error.diagnostics.isEmpty
                    ? [Diagnostic(location: nil, path: "", message: error.message)] : error.diagnostics
            }
        }
        guard all.isEmpty, let pipeline = read else {
            throw PipelineError(
                .invalidPipeline, "\(file): \(all.count) problem\(all.count == 1 ? "" : "s") found", diagnostics: all)
        }
        return pipeline
    }
}
