/// Where pipelines deploy: the protocol the `aws` and `local` providers conform to, and a third one
/// added by a Swift package exactly as a stage is (see `ProviderRegistry`).
///
/// A pipeline names its provider under `target.provider`; the engine checks the `target:` section
/// against the provider's declared settings and its `check`, at load time (exit 2, file and line),
/// and asks it for a `DeploymentTarget` before the run starts.
///
/// A provider author must guarantee:
/// - **Checks change nothing.** `check` reads only the settings; it never connects anywhere.
/// - **A read-only request starts nothing.** With `request.readOnly` (a dry run), `makeTarget`
///   returns a target for reads without starting or configuring anything.
/// - **Secrets stay out.** Credentials never appear in errors, notes or the target's `description`.
public protocol DeploymentProvider: Sendable {
    /// The provider's name, summary and settings.
    static var descriptor: ProviderDescriptor { get }

    /// Creates the provider; must be cheap and have no side effects.
    init()

    /// Checks the `target:` settings beyond their declared types; returns every problem, located with
    /// `locate` (a key path such as `target.listener_port` → file:line:column).
    static func check(_ target: TargetConfig, locate: (String) -> SourceLocation?) -> [Diagnostic]

    /// Makes the run's target: connects, checks credentials, starts what must run. Throws
    /// `PipelineError(.invalidInput)` for settings that cannot work (nothing is left started).
    func makeTarget(_ request: TargetRequest) async throws -> any DeploymentTarget

    /// The variables an executable stage gets with `pass_aws_credentials: true`.
    func credentialEnvironment(_ target: TargetConfig, environment: [String: String]) -> [String: String]
}

extension DeploymentProvider {
    /// No checks beyond the declared settings.
    public static func check(_ target: TargetConfig, locate: (String) -> SourceLocation?) -> [Diagnostic] { [] }

    /// None.
    public func credentialEnvironment(_ target: TargetConfig, environment: [String: String]) -> [String: String] {
        [:]
    }
}

/// A provider's name (`target.provider`), summary and `target:` settings.
public struct ProviderDescriptor: Sendable {
    /// The name pipelines write under `target.provider`.
    public var name: String
    /// One line for people.
    public var summary: String
    /// The keys it accepts under `target:` (besides `provider`), generated from their declarations.
    public var settings: [StageInputSpec]

    /// A descriptor whose settings are generated from their declarations.
    public init<S: InputDeclarations>(name: String, summary: String, settings: S.Type) {
        self.name = name
        self.summary = summary
        self.settings = S.specs
    }
}

/// What a provider is given to make a run's target.
public struct TargetRequest: Sendable {
    /// The pipeline (its `target:` section, file and stages).
    public var pipeline: Pipeline
    /// The commit's files.
    public var source: any SourceTree
    /// The engine's environment.
    public var environment: [String: String]
    /// The engine's state folder (a provider may keep its own state under it).
    public var stateDirectory: String
    /// A dry run: start and configure nothing.
    public var readOnly: Bool
    /// Prints a note for the operator (e.g. "started the local agent").
    public var note: @Sendable (String) -> Void

    /// A request.
    public init(
        pipeline: Pipeline, source: any SourceTree, environment: [String: String], stateDirectory: String,
        readOnly: Bool, note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.pipeline = pipeline
        self.source = source
        self.environment = environment
        self.stateDirectory = stateDirectory
        self.readOnly = readOnly
        self.note = note
    }
}
