import Foundation
import PipelineCore

/// Runs an executable stage plugin with protocol version 1 (see docs/plugins.md).
package struct ExecutableStage: Stage {
    package static let descriptor = StageDescriptor(
        name: "(executable)", summary: "an executable stage plugin", inputs: nil)

    /// Where the executable comes from.
    package enum Location: Sendable {
        /// A file in the repository at the deployed commit.
        case repository(String)
        /// A file on this machine (the plugin path).
        case file(String)
    }

    let location: Location
    /// Most a plugin may print on stdout (its one JSON response).
    static let stdoutLimit = 1 << 20

    package init() { location = .file("/bin/false") }
    init(location: Location) { self.location = location }

    package static func preflight(_ check: PreflightContext) throws {
        guard check.step.uses.hasPrefix("./") else { return }
        let path = String(check.step.uses.dropFirst(2))
        let mode = try check.source.fileMode(path)
        if mode & 0o111 == 0 {
            throw StageFailure(
                "\(check.step.uses) is not executable at this commit (mode \(String(mode, radix: 8))); git add --chmod=+x it"
            )
        }
    }

    package func run(_ context: StageContext) async throws -> StageOutputs {
        let (path, cleanup) = try prepare(context)
        defer { cleanup() }
        let input = try Self.request(context)
        if context.isDryRun {
            context.logger.info("dry run: would run \(context.step.uses)")
            return [:]
        }
        let logger = context.logger
        let result = try await ChildProcess.run(
            path: path, environment: Self.environment(context), workingDirectory: NSTemporaryDirectory(), stdin: input,
            stdoutLimit: Self.stdoutLimit, onStderrLine: { logger.info("\($0)") })
        if result.cancelled { throw CancellationError() }
        return try Self.interpret(result, uses: context.step.uses)
    }

    /// The executable's path, written to a private temporary folder when it comes from the repository.
    func prepare(_ context: StageContext) throws -> (String, () -> Void) {
        switch location {
        case .file(let path):
            guard access(path, X_OK) == 0 else { throw StageFailure("plugin \(path) is missing or not executable") }
            return (path, {})
        case .repository(let relative):
            let data = try context.source.readFile(relative)
            let mode = try context.source.fileMode(relative)
            guard mode & 0o111 != 0 else { throw StageFailure("./\(relative) is not executable at this commit") }
            var template = Array((NSTemporaryDirectory() + "pipeline-plugin-XXXXXX").utf8CString)
            guard
                let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({
                    String(cString: $0)
                })
            else { throw StageFailure("cannot create a private folder for ./\(relative)") }
            let file = "\(dir)/\((relative as NSString).lastPathComponent)"
            try data.write(to: URL(fileURLWithPath: file))
            chmod(file, mode_t(mode & 0o777))
            return (file, { try? FileManager.default.removeItem(atPath: dir) })
        }
    }

    static func request(_ context: StageContext) throws -> Data {
        let inputs = try JSONEncoder().encode(context.inputs.values)
        var outputs: [String: StageOutputs] = context.outputs
        outputs = outputs.filter { !$0.value.isEmpty }
        let object: [String: Any?] = [
            "protocol": 1,
            "stage": ["id": context.step.id, "uses": context.step.uses],
            "inputs": try JSONSerialization.jsonObject(with: inputs),
            "run": ["id": context.run.id, "pipeline": context.run.pipeline, "trigger": context.run.trigger],
            "commit": [
                "sha": context.commit.sha, "short_sha": context.commit.shortSHA, "branch": context.commit.branch as Any,
                "message": context.commit.message, "author": context.commit.author,
            ],
            "target": try JSONSerialization.jsonObject(with: JSONEncoder().encode(context.target)),
            "outputs": try JSONSerialization.jsonObject(with: JSONEncoder().encode(outputs)),
            "failure": context.failure.map { ["stage": $0.stage, "message": $0.message] } as Any,
        ]
        return try JSONSerialization.data(
            withJSONObject: object.mapValues { $0 ?? NSNull() }, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func environment(_ context: StageContext) -> [String: String] {
        var env: [String: String] = [
            "PATH": context.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": context.environment["HOME"] ?? NSTemporaryDirectory(),
            "LANG": context.environment["LANG"] ?? "C.UTF-8",
            "PIPELINE_PROTOCOL": "1", "PIPELINE_RUN_ID": context.run.id, "PIPELINE_NAME": context.run.pipeline,
            "PIPELINE_STAGE_ID": context.step.id, "PIPELINE_TRIGGER": context.run.trigger,
            "PIPELINE_COMMIT_SHA": context.commit.sha, "PIPELINE_BRANCH": context.commit.branch ?? "",
            "PIPELINE_DRY_RUN": context.isDryRun ? "1" : "0",
        ]
        if context.passAWSCredentials {
            // The run's provider says which variables carry credentials (aws: the engine's AWS_*).
            let credentials =
                context.services.get(CredentialEnvironment.self)?.variables
                ?? context.environment.filter { $0.key.hasPrefix("AWS_") }
            env.merge(credentials) { _, new in new }
        }
        env.merge(context.stepEnvironment) { _, new in new }
        return env
    }

    static func interpret(_ result: ChildProcess.Result, uses: String) throws -> StageOutputs {
        let name = "plugin \(uses)"
        if result.stdoutTruncated {
            throw StageFailure(
                "\(name) printed more than \(stdoutLimit) bytes on stdout; expected one JSON object (protocol error)")
        }
        let text = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let response = text.isEmpty ? nil : (try? JSONValue.parse(Data(text.utf8)))?.objectValue
        let message = response?["message"]?.stringValue
        switch result.termination {
        case .signaled(let signal):
            throw StageFailure("\(name) \(result.termination)\(signal == 9 ? " (out of memory, or killed)" : "")")
        case .exited(let code) where code != 0:
            throw StageFailure("\(name) exited with code \(code)\(message.map { ": \($0)" } ?? "")")
        default: break
        }
        guard !text.isEmpty else {
            throw StageFailure("\(name) printed nothing on stdout; expected one JSON object (protocol error)")
        }
        guard let response else {
            throw StageFailure(
                "\(name) printed something that is not one JSON object on stdout (protocol error): \(text.prefix(200))")
        }
        switch response["status"]?.stringValue {
        case "succeeded": break
        case "failed": throw StageFailure(message ?? "\(name) reported failure")
        default:
            throw StageFailure("\(name): \"status\" must be \"succeeded\" or \"failed\" (protocol error)")
        }
        var outputs: StageOutputs = [:]
        for (key, value) in response["outputs"]?.objectValue ?? [:] {
            switch value {
            case .bool(let b): outputs[key] = .bool(b)
            case .int(let i): outputs[key] = .number(Double(i))
            case .double(let d): outputs[key] = .number(d)
            case .string(let s): outputs[key] = .string(s)
            default: throw StageFailure("\(name): output \(key) must be a string, number or boolean (protocol error)")
            }
        }
        return outputs
    }
}
