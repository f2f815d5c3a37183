import Foundation
import PipelineTestSupport
import Testing
import Yams

/// Every real-world-shaped template under examples/task-definitions, rendered and registered on moto,
/// compared field by field with the file: what the file says is what reached the endpoint, with the
/// documented changes only (image set, describe-output fields dropped, numbers sent as strings,
/// engine tags added).
@Suite(.serialized) struct RealTemplatesTests {
    static let folder = repositoryRoot.appendingPathComponent("examples/task-definitions")

    /// Runs build + register for one template; returns the registered task definition and its tags.
    static func register(_ file: String, container: String?, from folder: URL = folder) async throws -> (
        out: ProcessRunner.Output, td: [String: Any], tags: [String: String], sha: String, buildLog: String
    ) {
        let s = try await ECSPipelineTests.setup()
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        try s.repo.write("td/\(file)", text)
        let with = container.map { ", container: \($0)" } ?? ""
        try s.repo.write(
            "pipelines/td.yml",
            """
            target: {region: us-east-1, cluster: \(s.name), service: \(s.name)}
            stages:
              - {uses: build-task-definition, id: build, with: {template: td/\(file), image: "registry.example.com/x:${{ commit.sha }}"\(with)}}
              - {uses: register-task-definition, id: register}

            """)
        try s.repo.commit("template \(file)")
        let sha = try s.repo.git("rev-parse", "HEAD")
        let out = try await s.run("run", "td", "--json")
        let record = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any] ?? [:]
        guard out.status == 0 else { return (out, [:], [:], sha, "") }
        let stages = record["stages"] as? [[String: Any]] ?? []
        let arn =
            (stages.first { $0["id"] as? String == "register" }?["outputs"] as? [String: Any])?[
                "task_definition_arn"] as? String ?? ""
        let described = try Moto.fixture(s.moto.endpoint, "describe-td", arn)
        let td = described["taskDefinition"] as? [String: Any] ?? [:]
        var tags: [String: String] = [:]
        for tag in described["tags"] as? [[String: Any]] ?? [] {
            tags[tag["key"] as? String ?? ""] = tag["value"] as? String
        }
        let runID = record["id"] as? String ?? "td-1"
        let buildLog = try await s.run("logs", runID, "--stage", "build").stdout
        return (out, td, tags, sha, buildLog)
    }

    /// Every field of `expected` is in `actual` with the same value (moto may add defaults).
    static func compare(_ expected: Any, _ actual: Any?, path: String, _ mismatches: inout [String]) {
        switch expected {
        case let map as [String: Any]:
            guard let other = actual as? [String: Any] else {
                mismatches.append("\(path): expected a map, got \(String(describing: actual))")
                return
            }
            for (key, value) in map {
                compare(value, other[key], path: path.isEmpty ? key : "\(path).\(key)", &mismatches)
            }
        case let list as [Any]:
            guard let other = actual as? [Any], other.count == list.count else {
                mismatches.append("\(path): expected \(list.count) items, got \(String(describing: actual))")
                return
            }
            for (i, item) in list.enumerated() { compare(item, other[i], path: "\(path)[\(i)]", &mismatches) }
        case let flag as Bool:
            if (actual as? Bool) != flag {
                mismatches.append("\(path): file \(flag), endpoint \(String(describing: actual))")
            }
        default:
            if "\(expected)" != "\(actual.map { "\($0)" } ?? "nil")" {
                mismatches.append("\(path): file \(expected), endpoint \(String(describing: actual))")
            }
        }
    }

    static func containers(_ td: [String: Any]) -> [[String: Any]] {
        td["containerDefinitions"] as? [[String: Any]] ?? []
    }

    @Test func fireLensAppAndXRayReachTheEndpointAsWritten() async throws {
        // Two essential containers: without `container:` the step is refused before anything changes.
        let refused = try await Self.register("firelens-xray.json", container: nil)
        #expect(refused.out.status == 2)
        #expect(refused.out.stderr.contains("with.container is needed"), "\(refused.out.stderr)")
        #expect(refused.out.stderr.contains("log_router, app"))

        let r = try await Self.register("firelens-xray.json", container: "app")
        #expect(r.out.status == 0, "\(r.out.stdout)\(r.out.stderr)")
        var file =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.folder.appendingPathComponent("firelens-xray.json"))) as! [String: Any]
        let fileTags = file.removeValue(forKey: "tags") as? [[String: String]] ?? []
        var containers = file["containerDefinitions"] as! [[String: Any]]
        containers[1]["image"] = "registry.example.com/x:\(r.sha)"
        var env = containers[1]["environment"] as! [[String: Any]]
        env[0]["value"] = r.sha
        containers[1]["environment"] = env
        file["containerDefinitions"] = containers
        var mismatches: [String] = []
        Self.compare(file, r.td, path: "", &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches)")
        // The template's own tags arrive beside the engine's.
        for tag in fileTags { #expect(r.tags[tag["key"]!] == tag["value"], "tag \(tag["key"]!)") }
        #expect(r.tags["pipeline:commit"] == r.sha)
    }

    @Test func describeTaskDefinitionOutputIsAcceptedWithOneWarning() async throws {
        let r = try await Self.register("describe-output.json", container: nil)
        #expect(r.out.status == 0, "\(r.out.stdout)\(r.out.stderr)")
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("describe-output.json"))
        let wrapper = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var file = wrapper["taskDefinition"] as! [String: Any]
        for key in [
            "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
            "registeredBy",
        ] {
            file.removeValue(forKey: key)
        }
        var containers = file["containerDefinitions"] as! [[String: Any]]
        containers[0]["image"] = "registry.example.com/x:\(r.sha)"
        file["containerDefinitions"] = containers
        var mismatches: [String] = []
        Self.compare(file, r.td, path: "", &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(r.tags["service"] == "billing")
        #expect(r.buildLog.contains("describe-task-definition` output: dropped"), "\(r.buildLog)")
    }

    @Test func yamlNumbersAreSentAsTheStringsECSWants() async throws {
        let r = try await Self.register("worker.yaml", container: nil)
        #expect(r.out.status == 0, "\(r.out.stdout)\(r.out.stderr)")
        let text = try String(contentsOf: Self.folder.appendingPathComponent("worker.yaml"), encoding: .utf8)
        var file = try Yams.load(yaml: text) as! [String: Any]
        file["cpu"] = "512"
        file["memory"] = "1024"
        var containers = file["containerDefinitions"] as! [[String: Any]]
        containers[0]["image"] = "registry.example.com/x:\(r.sha)"
        containers[0]["environment"] = [
            ["name": "WORKERS", "value": "4"], ["name": "VERBOSE", "value": "true"], ["name": "RATIO", "value": "0.5"],
            ["name": "COMMIT", "value": r.sha],
        ]
        containers[0]["dockerLabels"] = ["tier": "2"]
        file["containerDefinitions"] = containers
        var mismatches: [String] = []
        Self.compare(file, r.td, path: "", &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(r.td["cpu"] is String && r.td["memory"] is String)
        let env = Self.containers(r.td).first?["environment"] as? [[String: Any]] ?? []
        #expect(env.allSatisfy { $0["value"] is String }, "\(env)")
    }

    /// The other AWS-shaped example template (examples/ecs-service) arrives as written too, with its
    /// expressions evaluated. (examples/hello-service is for the local provider: without `memory`, ECS
    /// itself refuses it, as moto does.)
    @Test(arguments: ["ecs-service"])
    func theOtherExampleTemplatesReachTheEndpointAsWritten(example: String) async throws {
        let folder = repositoryRoot.appendingPathComponent("examples/\(example)")
        let r = try await Self.register("task-definition.json", container: nil, from: folder)
        #expect(r.out.status == 0, "\(r.out.stdout)\(r.out.stderr)")
        let text = try String(contentsOf: folder.appendingPathComponent("task-definition.json"), encoding: .utf8)
            .replacingOccurrences(of: "${{ commit.sha }}", with: r.sha)
            .replacingOccurrences(of: "${{ commit.short_sha }}", with: String(r.sha.prefix(7)))
            .replacingOccurrences(of: "${{ run.id }}", with: "td-1")
        var file = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        var containers = file["containerDefinitions"] as! [[String: Any]]
        containers[0]["image"] = "registry.example.com/x:\(r.sha)"
        file["containerDefinitions"] = containers
        var mismatches: [String] = []
        Self.compare(file, r.td, path: "", &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
