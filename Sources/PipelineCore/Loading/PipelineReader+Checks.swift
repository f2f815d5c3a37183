import Foundation

extension PipelineReader {
    /// Checks ids, stage names, inputs and expressions of every step.
    mutating func checkSteps(main: [Step], onFailure: [Step]) {
        var seen: [String: SourceLocation?] = [:]
        for (section, steps) in [("stages", main), ("on_failure", onFailure)] {
            for (i, step) in steps.enumerated() {
                if let first = seen[step.id] {
                    let line = first.map { " (first at line \($0.line))" } ?? ""
                    error(
                        step.location, "\(section)[\(i)].id",
                        "duplicate id '\(step.id)'\(line); give one of them an id:")
                }
                seen[step.id] = step.location
            }
        }
        var earlier: [String: [String]?] = [:]
        let allMain = Set(main.map(\.id))
        for (i, step) in main.enumerated() {
            let later = allMain.subtracting(main[..<i].map(\.id)).union(onFailure.map(\.id))
            check(step, "stages[\(i)]", earlier: earlier, later: later)
            earlier[step.id] = declaredOutputs(step)
        }
        for (i, step) in onFailure.enumerated() {
            let later = Set(onFailure[i...].map(\.id))
            check(step, "on_failure[\(i)]", earlier: earlier, later: later)
            earlier[step.id] = declaredOutputs(step)
        }
    }

    private func declaredOutputs(_ step: Step) -> [String]? {
        guard let outputs = registry.resolve(step.uses)?.descriptor.outputs, !outputs.isEmpty else { return nil }
        return outputs
    }

    private mutating func check(_ step: Step, _ path: String, earlier: [String: [String]?], later: Set<String>) {
        let entry = registry.resolve(step.uses)
        if entry == nil {
            var message = "unknown stage '\(step.uses)'"
            if let guess = Self.closest(step.uses, in: registry.names) { message += " (did you mean '\(guess)'?)" }
            message += "; known stages: \(registry.names.isEmpty ? "none" : registry.names.joined(separator: ", "))"
            error(step.location, "\(path).uses", message)
        }
        if let descriptor = entry?.descriptor {
            let problems = descriptor.inputProblems(keys: Array(step.with.keys), value: { step.with[$0]?.literalValue })
            for problem in problems {
                let at = problem.isMissing ? step.location : step.with[problem.key]?.location
                error(at, "\(path).with.\(problem.key)", problem.message)
            }
        }
        for (section, nodes) in [("with", step.with), ("env", step.env)] {
            for key in nodes.keys.sorted() {
                for (template, tpath, location) in nodes[key]!.templates(path: "\(path).\(section).\(key)") {
                    checkExpressions(template, tpath, location, earlier: earlier, later: later)
                }
            }
        }
    }

    private mutating func checkExpressions(
        _ template: Template, _ path: String, _ location: SourceLocation?, earlier: [String: [String]?],
        later: Set<String>
    ) {
        for (expression, offset) in template.expressions {
            var at = location
            at?.column += offset
            for p in expression.paths {
                if let problem = ExpressionScope.check(p, earlierStages: earlier, laterStages: later) {
                    error(at, path, problem)
                }
            }
            if let environment { checkEnvironment(expression, environment, at, path) }
        }
    }

    /// `env.NAME` must be set unless a default follows it with `||`.
    private mutating func checkEnvironment(
        _ expression: Expression, _ environment: [String: String], _ at: SourceLocation?, _ path: String
    ) {
        switch expression {
        case .path(let p) where p.count == 2 && p[0] == "env":
            if environment[p[1]] == nil {
                error(
                    at, path,
                    "environment variable \(p[1]) is not set (write ${{ env.\(p[1]) || 'default' }} for a default)")
            }
        case .or(_, let right):
            checkEnvironment(right, environment, at, path)
        default: break
        }
    }
}
