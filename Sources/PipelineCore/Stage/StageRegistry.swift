/// Maps `uses:` names to stages.
public struct StageRegistry: Sendable {
    /// A registered stage: its descriptor and how to make one.
    public struct Entry: Sendable {
        /// What the stage is and takes.
        public var descriptor: StageDescriptor
        /// Makes a fresh instance for one run.
        public var make: @Sendable () -> any Stage

        /// An entry.
        public init(descriptor: StageDescriptor, make: @escaping @Sendable () -> any Stage) {
            self.descriptor = descriptor
            self.make = make
        }
    }

    private var entries: [String: Entry] = [:]

    /// Finds stages that are not registered by name (e.g. executable plugins); nil when none is found.
    public var fallback: (@Sendable (String) -> Entry?)?

    /// An empty registry.
    public init() {}

    /// Creates a registry holding the given stage types.
    public init(_ types: [any Stage.Type]) {
        for type in types { register(type) }
    }

    /// Registers a Swift stage type under its descriptor's name, replacing any stage of that name.
    public mutating func register(_ type: any Stage.Type) {
        let descriptor = type.descriptor
        entries[descriptor.name] = Entry(descriptor: descriptor, make: { type.init() })
    }

    /// Registers an entry made elsewhere, such as an executable plugin.
    public mutating func register(_ entry: Entry) {
        entries[entry.descriptor.name] = entry
    }

    /// The stage for a `uses:` name, if known.
    public func resolve(_ name: String) -> Entry? {
        entries[name] ?? fallback?(name)
    }

    /// Every registered stage, sorted by name.
    public var all: [Entry] {
        entries.values.sorted { $0.descriptor.name < $1.descriptor.name }
    }

    /// The registered names, sorted.
    public var names: [String] { entries.keys.sorted() }
}
