/// An error of the engine: a code to branch on, a message for people, and where it happened.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidPipeline, invalidInput, notFound, io, corruptRecord, locked, stageFailed, timedOut,
                cancelled, expression, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The pipeline file is malformed or does not validate.
        public static let invalidPipeline = Code(.invalidPipeline)
        /// A stage input or a command-line argument is not acceptable.
        public static let invalidInput = Code(.invalidInput)
        /// A pipeline, run, file or stage does not exist.
        public static let notFound = Code(.notFound)
        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A stored run record could not be decoded.
        public static let corruptRecord = Code(.corruptRecord)
        /// The target is locked by another run.
        public static let locked = Code(.locked)
        /// A stage reported a failure.
        public static let stageFailed = Code(.stageFailed)
        /// A stage ran past its timeout.
        public static let timedOut = Code(.timedOut)
        /// The run or stage was cancelled.
        public static let cancelled = Code(.cancelled)
        /// An expression could not be evaluated.
        public static let expression = Code(.expression)
        /// The operation is not supported by this build or target.
        public static let unsupported = Code(.unsupported)

        /// The code's name, e.g. `invalidInput`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure.
    public var code: Code
    /// A sentence for people.
    public var message: String
    /// The problems found, for validation failures.
    public var diagnostics: [Diagnostic]
    /// The error underneath, if any.
    public var cause: (any Error)?

    /// An error with a code, a message for people, located problems and the underlying cause.
    public init(_ code: Code, _ message: String, diagnostics: [Diagnostic] = [], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.cause = cause
    }

    /// The message and every problem, one per line.
    public var description: String {
        var text = message
        for d in diagnostics { text += "\n  \(d)" }
        if let cause { text += "\n  caused by: \(cause)" }
        return text
    }

    /// True for errors a user caused with bad input (exit code 2).
    public var isUserInputError: Bool {
        [.invalidPipeline, .invalidInput, .notFound, .expression, .corruptRecord, .unsupported].contains(code)
    }
}

/// Thrown by a stage to fail with a message for people (and an optional cause).
public struct StageFailure: Error, Sendable, CustomStringConvertible {
    /// Why the stage failed.
    public var message: String
    /// A failure with a message for people.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
