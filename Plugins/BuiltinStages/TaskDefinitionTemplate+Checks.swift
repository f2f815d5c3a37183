import Foundation
import PipelineCore

extension TaskDefinitionTemplate {
    /// Field names, container rules, ports, Fargate sizes, with the line of each problem.
    static func check(_ root: LocatedValue, _ problems: inout [Diagnostic]) {
        func add(_ at: SourceLocation?, _ path: String, _ message: String) {
            problems.append(Diagnostic(location: at, path: path, message: message))
        }
        func unknownFields(
            _ pairs: [(key: String, keyLocation: SourceLocation, value: LocatedValue)], _ known: Set<String>,
            _ path: String, _ what: String
        ) {
            for pair in pairs where !known.contains(pair.key) {
                var message = "'\(pair.key)' is not a field of \(what)"
                if let guess = closest(pair.key, in: known) { message += " (did you mean '\(guess)'?)" }
                add(pair.keyLocation, path.isEmpty ? pair.key : "\(path).\(pair.key)", message)
            }
        }
        guard case .map(let top) = root.kind else {
            add(root.location, "", "a task definition must be a JSON object / YAML map")
            return
        }
        unknownFields(top, topLevelFields, "", "a task definition")
        func value(_ key: String) -> LocatedValue? { top.first { $0.key == key }?.value }
        if value("family")?.scalarValue?.scalarString?.isEmpty ?? true {
            add(root.location, "family", "is required")
        }
        guard let containersNode = value("containerDefinitions"), case .list(let containers) = containersNode.kind,
            !containers.isEmpty
        else {
            add(
                value("containerDefinitions")?.location ?? root.location, "containerDefinitions",
                "at least one container definition is required")
            return
        }
        var names: [String: Int] = [:]
        var essentials = 0
        for (i, container) in containers.enumerated() {
            let path = "containerDefinitions[\(i)]"
            guard case .map(let fields) = container.kind else {
                add(container.location, path, "expected a map")
                continue
            }
            unknownFields(fields, containerFields, path, "a container definition")
            func field(_ key: String) -> LocatedValue? { fields.first { $0.key == key }?.value }
            if let name = field("name")?.scalarValue?.scalarString, !name.isEmpty {
                if let first = names[name] {
                    add(
                        field("name")?.location, "\(path).name",
                        "duplicate container name '\(name)' (also containerDefinitions[\(first)])")
                }
                names[name] = names[name] ?? i
            } else {
                add(container.location, "\(path).name", "is required")
            }
            if field("essential")?.scalarValue != .bool(false) { essentials += 1 }
            if case .list(let mappings)? = field("portMappings")?.kind {
                for (j, mapping) in mappings.enumerated() {
                    guard case .map(let mfields) = mapping.kind else { continue }
                    unknownFields(mfields, portMappingFields, "\(path).portMappings[\(j)]", "a port mapping")
                    for key in ["containerPort", "hostPort"] {
                        guard let node = mfields.first(where: { $0.key == key })?.value else { continue }
                        if case .number(let n)? = node.scalarValue, n.rounded() == n, n >= 0, n <= 65535 { continue }
                        add(
                            node.location, "\(path).portMappings[\(j)].\(key)", "expected a port number from 0 to 65535"
                        )
                    }
                }
            }
            if case .map(let hc)? = field("healthCheck")?.kind {
                unknownFields(hc, healthCheckFields, "\(path).healthCheck", "a health check")
            }
        }
        if essentials == 0 {
            add(containersNode.location, "containerDefinitions", "at least one container must be essential")
        }
        let fargate: Bool = {
            guard case .list(let items)? = value("requiresCompatibilities")?.kind else { return false }
            return items.contains { $0.scalarValue?.scalarString == "FARGATE" }
        }()
        if fargate {
            let mode = value("networkMode")?.scalarValue?.scalarString
            if mode != "awsvpc" {
                add(
                    value("networkMode")?.location ?? root.location, "networkMode",
                    "Fargate requires networkMode 'awsvpc'\(mode.map { ", got '\($0)'" } ?? "")")
            }
            let cpuText = value("cpu")?.scalarValue?.scalarString
            let memoryText = value("memory")?.scalarValue?.scalarString
            let cpu = units(cpuText, vcpu: true)
            let memory = units(memoryText, vcpu: false)
            if let cpuText, cpu == nil {
                add(
                    value("cpu")?.location, "cpu",
                    "cannot read '\(cpuText)': write CPU units (256) or vCPUs ('0.25 vCPU', '1 vCPU')")
            }
            if let memoryText, memory == nil {
                add(
                    value("memory")?.location, "memory",
                    "cannot read '\(memoryText)': write MiB (512) or GB ('1GB', '0.5 GB')")
            }
            if cpuText != nil, memoryText != nil, cpu == nil || memory == nil {
                // Said above.
            } else if let cpu, let memory {
                if let allowed = fargateMemory[cpu] {
                    if !allowed.contains(memory) {
                        add(
                            value("memory")?.location, "memory",
                            "Fargate cpu \(cpu) takes memory \(allowed.first!)–\(allowed.last!) MiB in steps of \(allowed.count > 1 ? allowed[1] - allowed[0] : 0), got \(memory)"
                        )
                    }
                } else {
                    add(
                        value("cpu")?.location, "cpu",
                        "Fargate cpu must be one of \(fargateMemory.keys.sorted().map(String.init).joined(separator: ", ")), got \(cpu)"
                    )
                }
            } else {
                add(root.location, "cpu", "Fargate task definitions need task-level cpu and memory")
            }
        }
    }

    /// Every form ECS takes: `256`, `"256"`, `"0.25 vCPU"`, `".25vcpu"`, `"1 GB"`, `"3GB"`, `"512"` → CPU
    /// units / MiB.
    static func units(_ text: String?, vcpu: Bool) -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let n = Int(text) { return n }
        let number = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let n = Double(number), n > 0 else { return nil }
        switch unit {
        case "vcpu" where vcpu: return Int((n * 1024).rounded())
        case "gb" where !vcpu, "gib" where !vcpu: return Int((n * 1024).rounded())
        case "mb" where !vcpu, "mib" where !vcpu: return n.rounded() == n ? Int(n) : nil
        default: return nil
        }
    }

    static func closest(_ word: String, in candidates: Set<String>) -> String? {
        Suggestion.closest(word, in: candidates.sorted())
    }

    /// Sets the image on a container and merges environment variables into it.
    static func apply(
        _ document: JSONValue, image: String?, container: String?, environment: [String: String], file: String
    )
        throws -> JSONValue
    {
        guard image != nil || !environment.isEmpty else { return document }
        guard case .object(var top) = document, case .array(var containers)? = top["containerDefinitions"] else {
            return document
        }
        let index: Int?
        if let container {
            index = containers.firstIndex { $0["name"]?.stringValue == container }
            guard index != nil else {
                let names = containers.compactMap { $0["name"]?.stringValue }.joined(separator: ", ")
                throw StageFailure("with.container: no container '\(container)' in \(file) (it has: \(names))")
            }
        } else {
            let essential = containers.indices.filter { containers[$0]["essential"] != .bool(false) }
            if essential.count > 1 {
                let names = essential.compactMap { containers[$0]["name"]?.stringValue }.joined(separator: ", ")
                throw StageFailure(
                    "with.container is needed: \(essential.count) containers of \(file) are essential (\(names)); name the one that gets the image"
                )
            }
            index = essential.first
        }
        guard let index, case .object(var c) = containers[index] else { return document }
        if let image { c["image"] = .string(image) }
        if !environment.isEmpty {
            var env = c["environment"]?.arrayValue ?? []
            for key in environment.keys.sorted() {
                env.removeAll { $0["name"]?.stringValue == key }
                env.append(.object(["name": .string(key), "value": .string(environment[key]!)]))
            }
            c["environment"] = .array(env)
        }
        containers[index] = .object(c)
        top["containerDefinitions"] = .array(containers)
        return .object(top)
    }
}
