import BuiltinStages
import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport

// A seeded mutation fuzzer over what a pushed commit controls: pipeline YAML, task definition
// templates (JSON and YAML, rendered as build-task-definition's preflight does) and expressions.
// Every input must end in a result or a PipelineError/StageFailure; a crash ends the process (the
// seed and the input number reproduce it). Usage: pipeline-fuzz [--seconds N] [--inputs N] [--seed N]

var seconds = 60.0
var limit = Int.max
var seed: UInt64 = UInt64(Date().timeIntervalSince1970)
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next() else { break }
    switch flag {
    case "--seconds": seconds = Double(value) ?? seconds
    case "--inputs": limit = Int(value) ?? limit
    case "--seed": seed = UInt64(value) ?? seed
    default: FileHandle.standardError.write(Data("unknown flag \(flag)\n".utf8))
    }
}

let pipelineCorpus = [
    """
    name: web
    on:
      push:
        branches: [main]
        paths: ["services/web/**"]
    target: {provider: aws, region: us-east-1, cluster: demo, service: web}
    stages:
      - uses: build-task-definition
        id: build
        with:
          template: td.json
          image: "repo/web:${{ commit.sha }}"
      - {uses: register-task-definition, id: register}
      - {uses: canary-deploy, with: {desired_number_of_canary_tasks_to_run: 1, timeout: 5m}}
      - {uses: alarm-watch, with: {alarms: [web-5xx], bake_time: 5m, alarm_clear_timeout: 1m}}
      - uses: promote
        with: {deployment_maximum_percent: 200, deployment_minimum_healthy_percent: 50}
    on_failure:
      - uses: rollback
    """,
    """
    target:
      provider: local
      service: hello
      listener_port: 8080
      alarms:
        - {name: hello-5xx, metric: HTTPCode_Target_5XX_Count, statistic: Sum, period: 10, threshold: 2,
           comparison_operator: GreaterThanThreshold}
    stages:
      - {uses: wait, with: {duration: "${{ env.WAIT || '1s' }}"}}
    """,
]
let templateCorpus = [
    #"""
    {"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
     "memory": "512", "containerDefinitions": [{"name": "app", "image": "x", "essential": true,
     "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
     "environment": [{"name": "COMMIT", "value": "${{ commit.short_sha }}"}],
     "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}],
     "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 10}}]}
    """#,
    """
    family: web
    cpu: 256
    memory: 512
    containerDefinitions:
      - name: app
        image: x
        essential: true
        environment:
          - {name: RUN, value: "${{ run.id }}"}
    """,
]
let expressionCorpus = [
    "commit.sha", "env.A || 'b'", "stages.x.outputs.y", "'a''b' || c.d", "target.service", "pipeline.name",
]

let registry = StageRegistry(BuiltinStages.all)
let loader = PipelineLoader(registry: registry, environment: ["WAIT": "1s"])
let commit = CommitInfo(sha: String(repeating: "c", count: 40), branch: "main", message: "m", author: "a")
let scope = ExpressionScope(
    commit: commit, pipelineName: "web", runID: "web-1", environment: ["X": "y"],
    target: TargetConfig(settings: ["service": .string("web")]))

var rng = SeededGenerator(seed: seed)
var counts = (pipelines: 0, templates: 0, expressions: 0, accepted: 0, refused: 0, unexpected: 0)
var unexpected: [String: Int] = [:]
let started = ContinuousClock.now
let deadline = started + .milliseconds(Int64(seconds * 1000))
print("pipeline-fuzz: seed \(seed), for \(seconds) s or \(limit == .max ? "no limit on" : String(limit)) inputs")

@MainActor func judge(_ body: () throws -> Void) {
    do {
        try body()
        counts.accepted += 1
    } catch is PipelineError {
        counts.refused += 1
    } catch is StageFailure {
        counts.refused += 1
    } catch is ExpressionSyntaxError {
        counts.refused += 1
    } catch is ExpressionError {
        counts.refused += 1
    } catch {
        counts.unexpected += 1
        unexpected[String(describing: type(of: error)), default: 0] += 1
    }
}

var n = 0
while n < limit {
    if n % 256 == 0, ContinuousClock.now >= deadline { break }
    switch n % 3 {
    case 0:
        counts.pipelines += 1
        let text = Mutator.mutate(pipelineCorpus[n / 3 % pipelineCorpus.count], &rng)
        judge { _ = try loader.load(text: text, file: "pipelines/web.yml") }
    case 1:
        counts.templates += 1
        let name = n / 3 % 2 == 0 ? "td.json" : "td.yaml"
        let text = Mutator.mutate(templateCorpus[n / 3 % templateCorpus.count], &rng)
        let source = InMemorySourceTree(files: [name: text])
        var inputs: [String: InputValue] = ["template": .string(name), "image": .string("repo/web:1")]
        if n % 7 == 0 { inputs["container"] = .string("app") }
        let check = PreflightContext(
            step: StepInfo(id: "build", uses: "build-task-definition"), inputs: StageInputs(inputs), source: source,
            scope: scope, target: TargetConfig(settings: [:]))
        judge { try BuildTaskDefinitionStage.preflight(check) }
    default:
        counts.expressions += 1
        let text = Mutator.mutate(expressionCorpus[n / 3 % expressionCorpus.count], &rng)
        judge {
            let template = try Template(parsing: "x${{ \(text) }}y")
            _ = try template.evaluate(in: scope)
        }
    }
    n += 1
}
let elapsed = (ContinuousClock.now - started)
let rate = Double(n) / max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
print(
    "pipeline-fuzz: \(n) inputs in \(elapsed) (\(Int(rate))/s): \(counts.pipelines) pipelines, \(counts.templates) templates, \(counts.expressions) expressions; \(counts.accepted) accepted, \(counts.refused) refused with an error, \(counts.unexpected) unexpected errors \(unexpected); 0 crashes"
)
exit(counts.unexpected == 0 ? 0 : 1)
