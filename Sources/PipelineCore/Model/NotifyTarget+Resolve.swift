import Foundation

/// A `notify:` entry with its settings evaluated for one run (secrets included: never write it out).
public struct ResolvedNotifyTarget: Sendable {
    /// Which destination.
    public var kind: NotifyTarget.Kind
    /// The evaluated settings, defaults applied.
    public var settings: [String: String]
    /// The events it receives.
    public var events: Set<NotifyTarget.Event>

    /// `https://hooks.example.com` — where it goes, without the path (which may hold a token), for messages.
    public var displayName: String {
        let base = settings["url"] ?? settings["api_url"] ?? ""
        guard let url = URL(string: base), let host = url.host else { return kind.rawValue }
        return "\(kind.rawValue) \(url.scheme ?? "https")://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }
}

extension NotifyTarget {
    /// Evaluates the settings in `scope`, applies defaults and checks them; throws `NotifyProblems`
    /// naming every problem of the entry.
    public func resolve(in scope: ExpressionScope, index: Int) throws -> ResolvedNotifyTarget {
        let path = "notify[\(index)].\(kind.rawValue)"
        var values: [String: String] = [:]
        var problems: [Diagnostic] = []
        for (key, node) in settings.sorted(by: { $0.key < $1.key }) {
            do {
                values[key] = try node.evaluate(in: scope).scalarString ?? ""
            } catch {
                problems.append(
                    Diagnostic(location: node.location ?? location, path: "\(path).\(key)", message: error.message))
            }
        }
        func problem(_ key: String, _ message: String) {
            problems.append(
                Diagnostic(location: settings[key]?.location ?? location, path: "\(path).\(key)", message: message))
        }
        if kind == .github {
            values["api_url"] = values["api_url"] ?? "https://api.github.com"
            values["token"] = values["token"] ?? scope.environment["GITHUB_TOKEN"] ?? ""
            values["environment"] = values["environment"] ?? "production"
            values["context"] = values["context"] ?? "pipeline/\(scope.pipelineName)"
            let parts = (values["repository"] ?? "").split(separator: "/", omittingEmptySubsequences: false)
            if parts.count != 2 || parts.contains(where: \.isEmpty) {
                problem("repository", "expected OWNER/NAME, got '\(values["repository"] ?? "")'")
            }
            if values["token"]?.isEmpty ?? true {
                problem("token", "is empty: set it (e.g. `${{ env.GITHUB_TOKEN }}`) or export GITHUB_TOKEN")
            }
        }
        for key in ["url", "api_url"] {
            guard let text = values[key] else { continue }
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false
            else {
                problem(key, "expected an http(s) URL, got '\(text.count > 80 ? String(text.prefix(80)) + "…" : text)'")
                continue
            }
        }
        if let secret = values["secret"], secret.isEmpty, settings["secret"] != nil,
            !problems.contains(where: { $0.path == "\(path).secret" })
        {
            problem("secret", "is empty (is the variable it reads set?)")
        }
        if !problems.isEmpty { throw NotifyProblems(diagnostics: problems) }
        return ResolvedNotifyTarget(kind: kind, settings: values, events: events)
    }
}

extension Pipeline {
    /// Every `notify:` entry evaluated for a run; throws `PipelineError(.invalidInput)` listing every problem.
    public func resolvedNotify(in scope: ExpressionScope) throws -> [ResolvedNotifyTarget] {
        var out: [ResolvedNotifyTarget] = []
        var problems: [Diagnostic] = []
        for (i, target) in notify.enumerated() {
            do {
                out.append(try target.resolve(in: scope, index: i))
            } catch let error as NotifyProblems {
                problems.append(contentsOf: error.diagnostics)
            }
        }
        guard problems.isEmpty else {
            throw PipelineError(
                .invalidInput, "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s") in notify:",
                diagnostics: problems)
        }
        return out
    }
}

/// The problems of one `notify:` entry.
public struct NotifyProblems: Error {
    /// Each problem, located.
    public var diagnostics: [Diagnostic]
}
