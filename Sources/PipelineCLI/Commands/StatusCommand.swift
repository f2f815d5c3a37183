import ArgumentParser
import Foundation
import PipelineCore
import PipelineStore

/// `pipeline status`: what a pipeline's target runs now — revision, deployments, canary, alarms — and
/// its last runs. Reads only (the target is made read-only; the local provider starts no agent).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a pipeline's target runs now: revision, deployments, canary, alarms, last runs.")

    @OptionGroup var chosen: PipelineArguments

    @Option(help: "How many recent runs to show.")
    var runs: Int = 5

    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON.")
    var json = false

    struct Report: Encodable {
        struct Deployment: Encodable {
            var id: String
            var status: String
            var taskDefinition: String
            var rolloutState: String
            var running: Int
            var desired: Int
            enum CodingKeys: String, CodingKey {
                case id, status, running, desired
                case taskDefinition = "task_definition"
                case rolloutState = "rollout_state"
            }
        }
        struct Service: Encodable {
            var name: String
            var taskDefinition: String
            var desired: Int
            var running: Int
            var deployments: [Deployment]
            enum CodingKeys: String, CodingKey {
                case name, desired, running, deployments
                case taskDefinition = "task_definition"
            }
        }
        struct Alarm: Encodable {
            var name: String
            var state: String
            var since: Date?
        }
        var pipeline: String
        var file: String
        var target: String
        var service: Service?
        var canary: Service?
        var alarms: [Alarm]
        var runs: [RunSummary]
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let registry = Catalog.registry(stateDirectory: state.stateDir)
        let (source, definition) = try chosen.loadAtHead(registry, environment: environment)
        let store = try await state.openStore()
        let quiet = json
        let services = try await TargetFactory.services(
            for: definition, registry: registry, environment: environment, source: source.tree,
            stateRoot: store.localRoot, dryRun: true, note: { if !quiet { Terminal.note($0) } })
        guard let target = services.get(DeploymentTargetBox.self)?.target, let main = definition.target.service else {
            throw PipelineError(.invalidInput, "\(definition.file): its provider has no target to look at")
        }
        let canaryName =
            definition.stages.first { registry.resolve($0.uses)?.descriptor.name == "canary-deploy" }
            .flatMap { $0.with["canary_service"] }.flatMap { node -> String? in
                if case .string(let template) = node.kind, !template.hasExpressions { return template.raw }
                return nil
            } ?? "\(main)-canary"
        let scope = ExpressionScope(
            commit: source.commit, pipelineName: definition.name, runID: "\(definition.name)-status",
            environment: environment, target: definition.target)
        let specs = (try? definition.watchedAlarms(registry: registry, scope: scope)) ?? []
        var alarms: [AlarmState] = []
        for spec in specs {
            for alarm in try await target.alarms(names: spec.names, prefix: spec.prefix)
            where !alarms.contains(where: { $0.name == alarm.name }) {
                alarms.append(alarm)
            }
        }
        let report = Report(
            pipeline: definition.name, file: definition.file, target: target.description,
            service: try await target.service(main).map(Self.service),
            canary: try await target.service(canaryName).map(Self.service),
            alarms: alarms.map { Report.Alarm(name: $0.name, state: $0.state.rawValue, since: $0.updatedAt) },
            runs: try await store.list(
                pipeline: definition.name, status: nil, limit: max(runs, 1), includeDryRuns: true))
        if json {
            print(try Terminal.json(report))
        } else {
            print(Self.text(report, main: main, canary: canaryName))
        }
    }

    static func service(_ state: ServiceState) -> Report.Service {
        Report.Service(
            name: state.name, taskDefinition: state.taskDefinition, desired: state.desiredCount,
            running: state.runningCount,
            deployments: state.deployments.map {
                Report.Deployment(
                    id: $0.id, status: $0.status.rawValue, taskDefinition: $0.taskDefinition,
                    rolloutState: $0.rolloutState.rawValue, running: $0.runningCount, desired: $0.desiredCount)
            })
    }

    static func text(_ report: Report, main: String, canary: String) -> String {
        var out = ["\(report.pipeline) (\(report.file)) on \(report.target)"]
        func describe(_ name: String, _ service: Report.Service?) {
            guard let service else {
                out.append("  \(name): does not exist")
                return
            }
            let revision = service.taskDefinition.isEmpty ? "no revision" : service.taskDefinition
            out.append("  \(name): \(revision), \(service.running)/\(service.desired) running")
            for d in service.deployments {
                out.append("    \(d.status) \(d.id) \(d.rolloutState) \(d.running)/\(d.desired) \(d.taskDefinition)")
            }
        }
        describe(main, report.service)
        describe(canary, report.canary)
        if report.alarms.isEmpty {
            out.append("  alarms: none watched")
        } else {
            out.append(
                "  alarms: "
                    + report.alarms.map {
                        "\($0.name) \($0.state)\($0.since.map { " since \(Terminal.timestamp($0))" } ?? "")"
                    }
                    .joined(separator: ", "))
        }
        if report.runs.isEmpty {
            out.append("  no runs recorded")
        } else {
            out.append(
                Terminal.table(
                    ["RUN", "STATUS", "COMMIT", "TRIGGER", "STARTED"],
                    report.runs.map {
                        [
                            $0.id, $0.status.rawValue + ($0.dryRun == true ? " (dry run)" : ""),
                            String($0.sha.prefix(7)),
                            $0.trigger, Terminal.timestamp($0.startedAt),
                        ]
                    }))
        }
        return out.joined(separator: "\n")
    }
}
