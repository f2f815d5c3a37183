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

    /// Parses and validates a pipeline; throws `PipelineError(.invalidPipeline)` listing every problem.
    public func load(text: String, file: String) throws -> Pipeline {
        let root = try LocatedValue.parse(yaml: text, file: file)
        var reader = PipelineReader(file: file, registry: registry, providers: providers, environment: environment)
        let pipeline = reader.read(root)
        if !reader.diagnostics.isEmpty || pipeline == nil {
            let count = reader.diagnostics.count
            throw PipelineError(
                .invalidPipeline, "\(file): \(count) problem\(count == 1 ? "" : "s") found",
                diagnostics: reader.diagnostics)
        }
        return pipeline!
    }

    /// Reads `pipelines/NAME.yml` (or `.yaml`, or a path) from a source tree.
    public func load(named nameOrPath: String, from source: any SourceTree) throws -> Pipeline {
        let candidates: [String]
        if nameOrPath.hasSuffix(".yml") || nameOrPath.hasSuffix(".yaml") || nameOrPath.contains("/") {
            candidates = [nameOrPath]
        } else {
            candidates = ["pipelines/\(nameOrPath).yml", "pipelines/\(nameOrPath).yaml"]
        }
        for path in candidates {
            guard let data = try? source.readFile(path) else { continue }
            guard let text = String(data: data, encoding: .utf8) else {
                throw PipelineError(.invalidPipeline, "\(path) is not UTF-8 text")
            }
            return try load(text: text, file: path)
        }
        let known = (try? PipelineLoader.pipelineFiles(in: source)) ?? []
        let names = known.map { ($0 as NSString).lastPathComponent }.map { ($0 as NSString).deletingPathExtension }
        throw PipelineError(
            .notFound,
            "no pipeline '\(nameOrPath)' in \(source.description) (looked for \(candidates.joined(separator: ", ")); "
                + "known: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
    }

    /// The pipeline files under `pipelines/` of a source tree.
    public static func pipelineFiles(in source: any SourceTree) throws -> [String] {
        try source.listDirectory("pipelines")
            .filter { !$0.isDirectory && ($0.name.hasSuffix(".yml") || $0.name.hasSuffix(".yaml")) }
            .map { "pipelines/\($0.name)" }
    }
}
