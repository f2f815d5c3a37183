/// Runs every stage's preflight check before a run starts, collecting all problems.
public enum Preflight {
    /// Throws `PipelineError(.invalidInput)` listing every problem found.
    public static func check(
        _ pipeline: Pipeline, registry: StageRegistry, source: any SourceTree, commit: CommitInfo,
        environment: [String: String]
    ) throws {
        let scope = ExpressionScope(
            commit: commit, pipelineName: pipeline.name, runID: "\(pipeline.name)-preflight", environment: environment,
            target: pipeline.target)
        var problems: [Diagnostic] = []
        for (section, steps) in [("stages", pipeline.stages), ("on_failure", pipeline.onFailure)] {
            for (i, step) in steps.enumerated() {
                guard let entry = registry.resolve(step.uses) else { continue }
                let context = PreflightContext(
                    step: StepInfo(id: step.id, uses: step.uses), inputs: step.knownInputs(in: scope), source: source,
                    scope: scope, target: pipeline.target)
                do {
                    try entry.descriptor.checkKnownInputs?(context.inputs)
                    try type(of: entry.make()).preflight(context)
                } catch let error as PipelineError {
                    problems.append(
                        contentsOf: error.diagnostics.isEmpty
                            ? [Diagnostic(location: step.location, path: "\(section)[\(i)]", message: error.message)]
                            : error.diagnostics)
                } catch {
                    problems.append(
                        Diagnostic(location: step.location, path: "\(section)[\(i)] (\(step.id))", message: "\(error)"))
                }
            }
        }
        do {
            _ = try pipeline.resolvedNotify(in: scope)
        } catch let error as PipelineError {
            problems.append(contentsOf: error.diagnostics)
        }
        if !problems.isEmpty {
            throw PipelineError(
                .invalidInput,
                "\(pipeline.file): \(problems.count) problem\(problems.count == 1 ? "" : "s") found before running",
                diagnostics: problems)
        }
    }
}

extension Step {
    /// The inputs whose values are known in `scope` (those reading later stages' outputs are absent).
    func knownInputs(in scope: ExpressionScope) -> StageInputs {
        var inputs: [String: InputValue] = [:]
        for (key, node) in with {
            if let value = try? node.evaluate(in: scope) { inputs[key] = value }
        }
        return StageInputs(inputs)
    }
}
