import Foundation

/// Reads a pipeline file and validates it against the known stages, collecting every problem.
public struct PipelineLoader: Sendable {
    /// The stages `uses:` may name.
    public var registry: StageRegistry
    /// The providers `target.provider` may name; nil checks only the file format of `target:`.
    public var providers: ProviderRegistry?
    /// The environment `env.NAME` expressions read; nil skips the check for unset variables.
    public var environment: [String: String]?

    /// A loader for the given stages (and providers, whose settings are then checked too).
    public init(registry: StageRegistry, providers: ProviderRegistry? = nil, environment: [String: String]?) {
        self.registry = registry
        self.providers = providers
        self.environment = environment
    }

    /// Parses and validates a pipeline, returning what could be read with every problem found, so that
    /// later layers (preflight) can still check the steps that did read; throws only for a file that
    /// is not YAML.
    public func loadReporting(text: String, file: String) throws -> (pipeline: Pipeline?, problems: [Diagnostic]) {
        let root = try LocatedValue.parse(yaml: text, file: file)
        var reader = PipelineReader(file: file, registry: registry, providers: providers, environment: environment)
        let pipeline = reader.read(root)
        return (pipeline, reader.diagnostics)
    }

    /// Parses and validates a pipeline; throws `PipelineError(.invalidPipeline)` listing every problem.
    public func load(text: String, file: String) throws -> Pipeline {
        let (pipeline, problems) = try loadReporting(text: text, file: file)
        guard problems.isEmpty, let pipeline else {
            throw PipelineError(
                .invalidPipeline, "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s") found",
                diagnostics: problems)
        }
        return pipeline
    }

    /// Reads `pipelines/NAME.yml` (or `.yaml`, or a path, or the file whose `name:` is NAME) from a
    /// source tree.
    public func load(named nameOrPath: String, from source: any SourceTree) throws -> Pipeline {
        let file = try locate(named: nameOrPath, in: source)
        return try load(text: try source.readText(file), file: file)
    }

    /// The file `pipelines/NAME.yml` (or `.yaml`), a path, or the one file whose `name:` is NAME.
    public func locate(named nameOrPath: String, in source: any SourceTree) throws -> String {
        let candidates: [String]
        if nameOrPath.hasSuffix(".yml") || nameOrPath.hasSuffix(".yaml") || nameOrPath.contains("/") {
            candidates = [nameOrPath]
        } else {
            candidates = ["pipelines/\(nameOrPath).yml", "pipelines/\(nameOrPath).yaml"]
        }
        for path in candidates {
            guard let data = try? source.readFile(path) else { continue }
            guard String(data: data, encoding: .utf8) != nil else {
                throw PipelineError(.invalidPipeline, "\(path) is not UTF-8 text")
            }
            return path
        }
        // Records, run ids and `validate` say the `name:` key: accept it too, when exactly one file has it.
        let known = (try? PipelineLoader.pipelineFiles(in: source)) ?? []
        let named = known.filter { Self.declaredName(of: $0, in: source) == nameOrPath }
        if named.count == 1 { return named[0] }
        if named.count > 1 {
            throw PipelineError(
                .invalidInput,
                "pipeline name '\(nameOrPath)' is ambiguous: \(named.joined(separator: ", ")) all say `name: \(nameOrPath)`; give the file"
            )
        }
        let names = known.map { file -> String in
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            guard let declared = Self.declaredName(of: file, in: source), declared != stem else { return stem }
            return "\(stem) (name: \(declared))"
        }
        throw PipelineError(
            .notFound,
            "no pipeline '\(nameOrPath)' in \(source.description) (looked for \(candidates.joined(separator: ", ")) "
                + "and a `name: \(nameOrPath)`); known: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
    }

    /// The top-level `name:` of a pipeline file, if it parses and has one.
    static func declaredName(of file: String, in source: any SourceTree) -> String? {
        guard let text = try? source.readText(file), let root = try? LocatedValue.parse(yaml: text, file: file),
            case .map(let pairs) = root.kind
        else { return nil }
        return pairs.first { $0.key == "name" }?.value.scalarValue?.scalarString
    }

    /// The pipeline files under `pipelines/` of a source tree.
    public static func pipelineFiles(in source: any SourceTree) throws -> [String] {
        try source.listDirectory("pipelines")
            .filter { !$0.isDirectory && ($0.name.hasSuffix(".yml") || $0.name.hasSuffix(".yaml")) }
            .map { "pipelines/\($0.name)" }
    }
}
