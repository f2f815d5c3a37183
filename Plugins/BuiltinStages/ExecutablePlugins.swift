import Foundation
import PipelineCore

/// Executable stage plugins, in any language: `uses: ./path/in/repo`, or `uses: NAME` for an executable
/// `pipeline-stage-NAME` in `PIPELINE_PLUGIN_PATH` (colon-separated), then `<state-dir>/plugins/`.
package enum ExecutablePlugins {
    /// The folders searched for `pipeline-stage-NAME`.
    package static func searchPath(environment: [String: String], stateDirectory: String?) -> [String] {
        var dirs = (environment["PIPELINE_PLUGIN_PATH"] ?? "").split(separator: ":").map(String.init).filter {
            !$0.isEmpty
        }
        if let stateDirectory { dirs.append("\(stateDirectory)/plugins") }
        return dirs
    }

    /// The registry fallback that resolves plugins.
    package static func resolver(searchPath: [String]) -> @Sendable (String) -> StageRegistry.Entry? {
        { name in
            if name.hasPrefix("./") {
                return StageRegistry.Entry(
                    descriptor: StageDescriptor(
                        name: name, summary: "executable stage plugin from the repository", inputs: nil),
                    make: { ExecutableStage(location: .repository(String(name.dropFirst(2)))) })
            }
            guard let path = find(name, in: searchPath) else { return nil }
            return entry(name: name, path: path)
        }
    }

    /// Every plugin on the search path, for `pipeline stages`.
    package static func installed(searchPath: [String]) -> [StageRegistry.Entry] {
        var seen = Set<String>()
        var out: [StageRegistry.Entry] = []
        for dir in searchPath {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for file in names.sorted() where file.hasPrefix("pipeline-stage-") {
                let name = String(file.dropFirst("pipeline-stage-".count))
                guard !name.isEmpty, seen.insert(name).inserted, access("\(dir)/\(file)", X_OK) == 0 else { continue }
                out.append(entry(name: name, path: "\(dir)/\(file)"))
            }
        }
        return out
    }

    static func find(_ name: String, in searchPath: [String]) -> String? {
        guard !name.contains("/") else { return nil }
        for dir in searchPath {
            let path = "\(dir)/pipeline-stage-\(name)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    static func entry(name: String, path: String) -> StageRegistry.Entry {
        let described = describe(path)
        return StageRegistry.Entry(
            descriptor: StageDescriptor(
                name: name, summary: described?.summary ?? "executable stage plugin \(path)",
                inputs: described?.inputs, outputs: []),
            make: { ExecutableStage(location: .file(path)) })
    }

    /// Runs `PLUGIN --describe` (5 s at most); nil when it does not describe itself.
    static func describe(_ path: String) -> (summary: String, inputs: [StageInputSpec]?)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--describe"]
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let timer = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: timer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        guard process.terminationStatus == 0,
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        let summary = json["summary"] as? String ?? "executable stage plugin"
        guard let inputs = json["inputs"] as? [String: [String: Any]] else { return (summary, nil) }
        let specs = inputs.keys.sorted().map { key -> StageInputSpec in
            let spec = inputs[key]!
            let type: StageInputSpec.ValueType =
                switch (spec["type"] as? String ?? "any").lowercased() {
                case "string": .string
                case "number": .number
                case "integer": .integer
                case "bool", "boolean": .bool
                case "duration": .duration
                case "list", "array": .list
                case "map", "object": .map
                default: .any
                }
            return StageInputSpec(
                key, type, required: spec["required"] as? Bool ?? false, spec["description"] as? String ?? "")
        }
        return (summary, specs)
    }
}
