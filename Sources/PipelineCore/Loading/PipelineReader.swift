import Foundation

/// Walks a parsed pipeline file, building the model and collecting diagnostics.
struct PipelineReader {
    let file: String
    let registry: StageRegistry
    let providers: ProviderRegistry?
    let environment: [String: String]?
    private(set) var diagnostics: [Diagnostic] = []
    /// The whole document, for locating key paths in providers' checks.
    var root: LocatedValue?

    init(file: String, registry: StageRegistry, providers: ProviderRegistry?, environment: [String: String]?) {
        self.file = file
        self.registry = registry
        self.providers = providers
        self.environment = environment
    }

    mutating func error(_ at: SourceLocation?, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(location: at, path: path, message: message))
    }

    mutating func read(_ root: LocatedValue) -> Pipeline? {
        self.root = root
        guard case .map(let pairs) = root.kind else {
            error(root.location, "", "expected a map with stages:, got \(root.typeName)")
            return nil
        }
        var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var push: PushTrigger?
        var target = TargetConfig(settings: [:])
        var stages: [Step] = []
        var onFailure: [Step] = []
        var notify: [NotifyTarget] = []
        var sawStages = false
        var named = false
        for (key, keyLocation, value) in pairs {
            switch key {
            case "name":
                named = true
                if let s = string(value, "name") {
                    if Self.isValidName(s) {
                        name = s
                    } else {
                        error(
                            value.location, "name",
                            "expected letters, digits, '.', '_' or '-' (at most 100), got '\(s)'")
                    }
                }
            case "description": _ = string(value, "description")
            case "on": push = readOn(value)
            case "target": target = readTarget(value)
            case "stages":
                sawStages = true
                stages = readSteps(value, "stages")
            case "on_failure": onFailure = readSteps(value, "on_failure")
            case "notify": notify = readNotify(value)
            default:
                unknownKey(
                    key, keyLocation, "", ["name", "description", "on", "target", "stages", "on_failure", "notify"])
            }
        }
        if !sawStages {
            error(root.location, "stages", "is required")
        } else if stages.isEmpty, case .list = pairs.first(where: { $0.key == "stages" })?.value.kind {
            error(pairs.first(where: { $0.key == "stages" })?.keyLocation, "stages", "needs at least one stage")
        }
        if !named, !Self.isValidName(name) {
            // The name comes from the file's: it names the run folder, so it must be a plain name.
            error(
                SourceLocation(file: file, line: 1, column: 1), "name",
                "the file name gives the pipeline name '\(name)', which is not letters, digits, '.', '_' or '-' starting with a letter or digit (no '..'); rename the file or set name:"
            )
        }
        checkSteps(main: stages, onFailure: onFailure)
        var pipeline = Pipeline(
            name: name, file: file, push: push, target: target, stages: stages, onFailure: onFailure)
        pipeline.notify = notify
        return pipeline
    }

    static func isValidName(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 100, s.first!.isLetter || s.first!.isNumber, !s.contains("..") else {
            return false
        }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    mutating func unknownKey(_ key: String, _ at: SourceLocation, _ path: String, _ known: [String]) {
        let full = path.isEmpty ? key : "\(path).\(key)"
        var message = "unknown key"
        if let guess = Self.closest(key, in: known) { message += " (did you mean '\(guess)'?)" }
        message += "; expected one of: \(known.joined(separator: ", "))"
        error(at, full, message)
    }

    static func closest(_ word: String, in candidates: [String]) -> String? {
        Suggestion.closest(word, in: candidates)
    }

    mutating func string(_ value: LocatedValue, _ path: String) -> String? {
        if case .scalar = value.kind, let v = value.scalarValue, case .string(let s) = v { return s }
        if case .scalar = value.kind, let v = value.scalarValue, v != .null, let s = v.scalarString { return s }
        error(value.location, path, "expected a string, got \(value.typeName)")
        return nil
    }

    mutating func bool(_ value: LocatedValue, _ path: String) -> Bool? {
        if case .bool(let b)? = value.scalarValue { return b }
        error(value.location, path, "expected true or false, got \(value.typeName)")
        return nil
    }

    mutating func stringList(_ value: LocatedValue, _ path: String) -> [String]? {
        switch value.kind {
        case .scalar: return string(value, path).map { [$0] }
        case .list(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                if let s = string(item, "\(path)[\(i)]") { out.append(s) }
            }
            return out
        case .map:
            error(value.location, path, "expected a list of strings, got a map")
            return nil
        }
    }

    mutating func map(_ value: LocatedValue, _ path: String) -> [(
        key: String, keyLocation: SourceLocation, value: LocatedValue
    )]? {
        if case .map(let pairs) = value.kind { return pairs }
        if case .null? = value.scalarValue { return [] }
        error(value.location, path, "expected a map, got \(value.typeName)")
        return nil
    }
}
