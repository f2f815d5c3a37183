import Foundation

extension PipelineReader {
    mutating func readOn(_ value: LocatedValue) -> PushTrigger? {
        guard let pairs = map(value, "on") else { return nil }
        var push: PushTrigger?
        for (key, keyLocation, value) in pairs {
            guard key == "push" else {
                unknownKey(key, keyLocation, "on", ["push"])
                continue
            }
            push = readPush(value)
        }
        return push
    }

    private mutating func readPush(_ value: LocatedValue) -> PushTrigger? {
        guard let pairs = map(value, "on.push") else { return nil }
        var trigger = PushTrigger(branches: ["main"])
        for (key, keyLocation, value) in pairs {
            let path = "on.push.\(key)"
            switch key {
            case "branches": trigger.branches = stringList(value, path) ?? []
            case "paths": trigger.paths = stringList(value, path)
            case "coalesce": trigger.coalesce = bool(value, path) ?? true
            case "verify":
                guard let verify = map(value, path) else { continue }
                for (vkey, vloc, vvalue) in verify {
                    if vkey == "allowed_signers" {
                        trigger.allowedSigners = string(vvalue, "\(path).allowed_signers")
                    } else {
                        unknownKey(vkey, vloc, path, ["allowed_signers"])
                    }
                }
                if trigger.allowedSigners == nil { error(value.location, "\(path).allowed_signers", "is required") }
            default: unknownKey(key, keyLocation, "on.push", ["branches", "paths", "coalesce", "verify"])
            }
        }
        for (i, glob) in trigger.branches.enumerated() where glob.isEmpty {
            error(value.location, "on.push.branches[\(i)]", "empty branch pattern")
        }
        return trigger
    }

    mutating func readTarget(_ value: LocatedValue) -> TargetConfig {
        guard let pairs = map(value, "target") else { return TargetConfig(settings: [:]) }
        var settings: [String: InputValue] = [:]
        for pair in pairs { settings[pair.key] = pair.value.plainValue }
        let config = TargetConfig(settings: settings)
        // Without providers (a library loading files on its own) only the file format is checked;
        // the CLI passes its providers, whose declared settings and checks apply.
        guard let providers else {
            if settings["service"] == nil { error(value.location, "target.service", "is required") }
            return config
        }
        guard let provider = providers.provider(for: config) else {
            let at = pairs.first { $0.key == "provider" }?.value.location
            let known = providers.names.joined(separator: " or ")
            error(at, "target.provider", "unknown provider '\(config.provider)'; expected \(known)")
            return config
        }
        let before = diagnostics.count
        let specs = provider.descriptor.settings
        let allowed = ["provider"] + specs.map(\.name)
        for (key, keyLocation, value) in pairs where key != "provider" {
            guard let spec = specs.first(where: { $0.name == key }) else {
                unknownKey(key, keyLocation, "target", allowed.sorted())
                continue
            }
            if let message = spec.check(value.plainValue) { error(value.location, "target.\(key)", message) }
        }
        for spec in specs where spec.required && settings[spec.name] == nil {
            error(value.location, "target.\(spec.name)", "is required for provider \(provider.descriptor.name)")
        }
        // The provider's own checks see settings of the declared types only (one problem, said once).
        guard diagnostics.count == before else { return config }
        let root = self.root
        for diagnostic in provider.check(config, locate: { root?.locate($0) }) {
            error(diagnostic.location, diagnostic.path, diagnostic.message)
        }
        return config
    }

    mutating func readSteps(_ value: LocatedValue, _ path: String) -> [Step] {
        guard case .list(let items) = value.kind else {
            if case .null? = value.scalarValue { return [] }
            error(value.location, path, "expected a list of stages, got \(value.typeName)")
            return []
        }
        var steps: [Step] = []
        for (i, item) in items.enumerated() {
            if let step = readStep(item, "\(path)[\(i)]") { steps.append(step) }
        }
        return steps
    }

    private mutating func readStep(_ value: LocatedValue, _ path: String) -> Step? {
        guard let pairs = map(value, path) else { return nil }
        var uses: String?
        var id: String?
        var timeout: Duration?
        var with: [String: TemplateNode] = [:]
        var env: [String: TemplateNode] = [:]
        var passAWS = false
        let known = ["uses", "id", "timeout", "with", "env", "pass_aws_credentials"]
        for (key, keyLocation, value) in pairs {
            let keyPath = "\(path).\(key)"
            switch key {
            case "uses": uses = string(value, keyPath)
            case "id":
                id = string(value, keyPath)
                if let s = id, !PipelineReader.isValidName(s) {
                    error(value.location, keyPath, "expected letters, digits, '.', '_' or '-', got '\(s)'")
                }
            case "timeout":
                if let s = value.scalarValue?.scalarString, let d = DurationFormat.parse(s), d > .zero {
                    timeout = d
                } else {
                    error(value.location, keyPath, "expected a duration like 30s or 5m")
                }
            case "with": with = templateMap(value, keyPath)
            case "env": env = templateMap(value, keyPath)
            case "pass_aws_credentials": passAWS = bool(value, keyPath) ?? false
            default: unknownKey(key, keyLocation, path, known)
            }
        }
        guard let uses else {
            error(value.location, "\(path).uses", "is required")
            return nil
        }
        return Step(
            id: id ?? uses, uses: uses, timeout: timeout, with: with, env: env, passAWSCredentials: passAWS,
            location: value.location)
    }

    /// `notify:`: a list of one-key maps, `- webhook: {url, secret}`, `- slack: {url}`, `- github: {repository}`.
    mutating func readNotify(_ value: LocatedValue) -> [NotifyTarget] {
        guard case .list(let items) = value.kind else {
            if case .null? = value.scalarValue { return [] }
            error(value.location, "notify", "expected a list like `- webhook: {url: …}`, got \(value.typeName)")
            return []
        }
        var out: [NotifyTarget] = []
        let kinds = NotifyTarget.Kind.allCases.map(\.rawValue)
        for (i, item) in items.enumerated() {
            let path = "notify[\(i)]"
            guard let pairs = map(item, path) else { continue }
            guard pairs.count == 1, let (name, nameLocation, body) = pairs.first else {
                error(item.location, path, "expected one key (\(kinds.joined(separator: ", "))), got \(pairs.count)")
                continue
            }
            guard let kind = NotifyTarget.Kind(rawValue: name) else {
                unknownKey(name, nameLocation, path, kinds)
                continue
            }
            let entryPath = "\(path).\(name)"
            guard let settings = map(body, entryPath) else { continue }
            var target = NotifyTarget(kind: kind, settings: [:], location: item.location)
            let (required, optional) = kind.keys
            for (key, keyLocation, setting) in settings {
                if key == "events" {
                    let names = stringList(setting, "\(entryPath).events") ?? []
                    var events: Set<NotifyTarget.Event> = []
                    for name in names {
                        if let event = NotifyTarget.Event(rawValue: name) {
                            events.insert(event)
                        } else {
                            error(
                                setting.location, "\(entryPath).events",
                                "unknown event '\(name)' (known: \(NotifyTarget.Event.allCases.map(\.rawValue).joined(separator: ", ")))"
                            )
                        }
                    }
                    target.events = events
                } else if required.contains(key) || optional.contains(key) {
                    target.settings[key] = template(setting, "\(entryPath).\(key)")
                } else {
                    unknownKey(key, keyLocation, entryPath, required + optional)
                }
            }
            for key in required where target.settings[key] == nil {
                error(body.location, "\(entryPath).\(key)", "is required")
            }
            out.append(target)
        }
        return out
    }

    private mutating func templateMap(_ value: LocatedValue, _ path: String) -> [String: TemplateNode] {
        guard let pairs = map(value, path) else { return [:] }
        var out: [String: TemplateNode] = [:]
        for (key, _, value) in pairs { out[key] = template(value, "\(path).\(key)") }
        return out
    }

    private mutating func template(_ value: LocatedValue, _ path: String) -> TemplateNode {
        switch value.kind {
        case .scalar(let text, let plain):
            let scalar = value.scalarValue ?? .null
            guard case .string = scalar else {
                switch scalar {
                case .number(let n): return TemplateNode(.number(n), location: value.location)
                case .bool(let b): return TemplateNode(.bool(b), location: value.location)
                default: return TemplateNode(.null, location: value.location)
                }
            }
            do {
                return TemplateNode(.string(try Template(parsing: text)), location: value.location)
            } catch {
                var at = value.location
                at.column += error.offset + (plain ? 0 : 1)
                self.error(at, path, "bad expression: \(error.message)")
                return TemplateNode(.string(Template(literal: text)), location: value.location)
            }
        case .list(let items):
            return TemplateNode(
                .list(items.enumerated().map { template($0.element, "\(path)[\($0.offset)]") }),
                location: value.location)
        case .map(let pairs):
            var out: [String: TemplateNode] = [:]
            for (key, _, v) in pairs { out[key] = template(v, "\(path).\(key)") }
            return TemplateNode(.map(out), location: value.location)
        }
    }
}
