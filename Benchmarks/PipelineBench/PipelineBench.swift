import BuiltinStages
import Foundation
import PipelineAWS
import PipelineCore
import PipelineGit
import PipelineStore
import PipelineTestKit
import PipelineTestSupport

/// Whole pipeline against moto (bake_time 0, deployments complete at once): wall time, AWS calls, and the
/// floor (calls × median round trip, measured in the same run); then fabfuel's ecs-deploy on the same moto.
/// A minimal Fargate task definition template, `td.json`.
func writeBenchTaskDefinition(_ repo: GitFixture, family: String) throws {
    try repo.write(
        "td.json",
        """
        {"family": "\(family)", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
         "memory": "512", "containerDefinitions": [{"name": "app", "image": "x", "essential": true,
         "portMappings": [{"containerPort": 8080}]}]}
        """)
}

/// A bench pipeline's `target:` on moto and its first two stages (build from td.json, register), as
/// YAML lines ending in a newline.
func benchPipelineHead(_ name: String, _ endpoint: String) -> String {
    """
    target: {provider: aws, region: us-east-1, cluster: \(name), service: \(name), endpoint_url: "\(endpoint)"}
    stages:
      - {uses: build-task-definition, id: build, with: {template: td.json, image: "repo/app:${{ commit.sha }}"}}
      - {uses: register-task-definition, id: register}
    """
}

/// Runs a pipeline of `repo` at `sha` in this process, on its own AWS target and a fresh state folder;
/// returns the final record, the run's wall time (from recording it to its end) and the target.
func runOnMoto(
    _ repo: GitFixture, pipeline name: String, sha: String, registry: StageRegistry, environment: [String: String]
) async throws -> (RunRecord, Duration, AWSDeploymentTarget) {
    let source = GitSourceTree(repository: try GitRepository.open(repo.path), sha: sha)
    let pipeline = try PipelineLoader(registry: registry, environment: environment).load(named: name, from: source)
    let target = try AWSDeploymentTarget.make(for: pipeline.target, environment: environment)
    var services = ServiceBag()
    services.set(DeploymentTargetBox(target))
    let store = try RunStore(root: tempDir())
    let start = ContinuousClock.now
    let (recorder, record) = try store.createRun(
        pipeline: pipeline, trigger: "manual", commit: CommitInfo(sha: sha, branch: "main", message: "", author: ""),
        repository: repo.path, dryRun: false)
    let final = await Runner(registry: registry, environment: environment, services: services).run(
        .init(pipeline: pipeline, record: record, source: source, recorder: recorder))
    return (final, ContinuousClock.now - start, target)
}

func benchPipeline() async throws {
    try await benchCanaryFloor()
    let moto = try SupportServer(
        script: "moto_server.py", environment: ["PIPELINE_TEST_ECS_ROLLOUT_SECONDS": "0"])
    let name = "pbench"
    let fx = try Moto.fixture(moto.endpoint, "setup", name)
    let repo = try GitFixture()
    try writeBenchTaskDefinition(repo, family: name)
    let yaml = """
        \(benchPipelineHead(name, moto.endpoint))
          - {uses: canary-deploy, id: canary, with: {poll_interval: 20ms}}
          - {uses: alarm-watch, id: bake, with: {alarms: [\(name)-5xx], bake_time: 0}}
          - {uses: promote, id: promote, with: {poll_interval: 20ms}}
          - {uses: dns-alias, id: dns, with: {hosted_zone_id: \(fx["hosted_zone_id"] as! String), record_name: www.\(name).example.com, load_balancer: \(name)-lb, poll_interval: 20ms}}
        on_failure:
          - {uses: rollback}
        """
    try repo.write("pipelines/web.yml", yaml)
    let environment = [
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
    ]
    let registry = StageRegistry(BuiltinStages.all)
    var walls: [Double] = []
    var calls: [Int] = []
    for i in 0..<5 {
        try repo.write("version.txt", "\(i)")
        let sha = try repo.commit("v\(i)")
        let (final, wall, target) = try await runOnMoto(
            repo, pipeline: "web", sha: sha, registry: registry, environment: environment)
        walls.append(ms(wall))
        precondition(final.status == .succeeded, "pipeline failed: \(final.error ?? "")")
        calls.append(target.client.callCount.calls)
    }
    var rtt: [Double] = []
    let body = "{\"cluster\":\"\(name)\",\"services\":[\"\(name)\"]}"
    for _ in 0..<100 {
        rtt.append(
            try await rawCall(moto.endpoint, target: "AmazonEC2ContainerServiceV20141113.DescribeServices", body: body))
    }
    let wall = percentile(walls, 0.5)
    let callCount = calls.sorted()[calls.count / 2]
    let floor = Double(callCount) * percentile(rtt, 0.5)
    print(
        String(
            format:
                "whole pipeline (6 stages, bake 0): median %.1f ms, %d AWS calls, floor %.1f ms (%d × %.2f ms) → %.2f× the floor (goal ≤ 1.5×)",
            wall, callCount, floor, callCount, percentile(rtt, 0.5), wall / floor))

    // The same deployment (register + update + wait) with ecs-deploy on the same moto.
    let which = try ProcessRunner.run("sh", ["-c", "command -v ecs"])
    guard which.status == 0 else {
        print("ecs-deploy: not installed (pip install 'ecs-deploy==1.17.*'); ratio not measured")
        return
    }
    let ecsBinary = which.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    // Both tools run as CLI processes, spawned the same way (posix_spawn of /bin/sh -c, output to /dev/null).
    let spawnEnvironment = environment.merging(["AWS_ENDPOINT_URL": moto.endpoint, "AWS_DEFAULT_REGION": "us-east-1"]) {
        _, n in n
    }
    for (key, value) in spawnEnvironment { setenv(key, value, 1) }
    var theirs: [Double] = []
    for i in 0..<5 {
        let ms = spawnAndWait(
            "/bin/sh",
            [
                "-c",
                "'\(ecsBinary)' deploy \(name) \(name) --tag ecsdeploy\(i) --timeout 60 >/dev/null 2>&1 || echo failed >&2",
            ])
        theirs.append(ms)
    }
    // The same deployment through the pipeline CLI: a rolling pipeline (build, register, promote and
    // wait for COMPLETED), process start included, as ecs-deploy's figure includes Python's.
    try repo.write(
        "pipelines/rolling.yml",
        """
        \(benchPipelineHead(name, moto.endpoint))
          - {uses: promote, id: promote, with: {poll_interval: 20ms}}
        """)
    var ours: [Double] = []
    let state = tempDir()
    for i in 0..<5 {
        try repo.write("version.txt", "rolling \(i)")
        try repo.commit("rolling \(i)")
        ours.append(
            spawnAndWait(
                "/bin/sh",
                ["-c", "cd '\(repo.path)' && '\(pipelineBinary)' run rolling --state-dir '\(state)' >/dev/null"]))
    }
    // Start-up: from main to the first AWS call, as the engine reports it (PIPELINE_TRACE_STARTUP=1).
    var startup: [Double] = []
    var bookkeeping: [Double] = []
    for i in 0..<5 {
        try repo.write("version.txt", "traced \(i)")
        try repo.commit("traced \(i)")
        let out = try ProcessRunner.run(
            pipelineBinary, ["run", "rolling", "--state-dir", state], cwd: repo.path,
            environment: ProcessInfo.processInfo.environment.merging(["PIPELINE_TRACE_STARTUP": "1"]) { $1 })
        func at(_ label: String) -> Double? {
            out.stderr.split(separator: "\n").first { $0.contains("startup: \(label)") }
                .flatMap { line in line.split(separator: " ").reversed().dropFirst(3).first.flatMap { Double($0) } }
        }
        if let first = at("first platform call"), let opened = at("state opened"), let recorded = at("run recorded") {
            startup.append(first)
            bookkeeping.append(recorded - opened)
        }
    }
    report("`pipeline run`: main → first AWS call", startup, goal: "-")
    report("`pipeline run`: state folder, lock and record", bookkeeping, goal: "< 10 ms")
    let runs = try RunStore(root: state).list(limit: 20)
    precondition(runs.count == 10 && runs.allSatisfy { $0.status == .succeeded }, "rolling runs did not all succeed")
    let their = percentile(theirs, 0.5)
    print(
        String(
            format:
                "same deployment, both as CLI processes: ecs-deploy %.0f ms (register, update, wait until its one deployment runs its tasks) vs `pipeline run` %.0f ms (build, register, promote, waiting for COMPLETED and healthy tasks) → %.1f× faster (goal ≥ 10×)",
            their, percentile(ours, 0.5), their / percentile(ours, 0.5)))
    print(
        String(
            format: "ecs-deploy vs the whole 6-stage pipeline in-process (%.0f ms): %.1f×", wall, their / wall))
    withExtendedLifetime(moto) {}
}

/// Wall time of a canary pipeline (default poll intervals) against the simulated ECS, whose rollouts end
/// 0.6 s after each change, versus its floor: the two rollouts (canary, promote) plus the 4 s bake.
func benchCanaryFloor() async throws {
    let rollout = 0.6
    let bake = 4.0
    let moto = try SupportServer(
        script: "moto_server.py", environment: ["PIPELINE_TEST_ECS_ROLLOUT_SECONDS": String(rollout)])
    let name = "floor"
    let fx = try Moto.fixture(moto.endpoint, "setup", name)
    let repo = try GitFixture()
    try writeBenchTaskDefinition(repo, family: name)
    try repo.write(
        "pipelines/canary.yml",
        """
        \(benchPipelineHead(name, moto.endpoint))
          - {uses: canary-deploy, id: canary}
          - {uses: alarm-watch, id: bake, with: {alarms: [\(name)-5xx], bake_time: \(Int(bake))s}}
          - {uses: promote, id: promote}
          - {uses: dns-alias, id: dns, with: {hosted_zone_id: \(fx["hosted_zone_id"] as! String), record_name: www.\(name).example.com, load_balancer: \(name)-lb}}
        on_failure:
          - {uses: rollback}
        """)
    let environment = [
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
    ]
    let registry = StageRegistry(BuiltinStages.all)
    var walls: [Double] = []
    var last: RunRecord?
    for i in 0..<3 {
        try repo.write("version.txt", "canary \(i)")
        let sha = try repo.commit("canary \(i)")
        let (final, wall, _) = try await runOnMoto(
            repo, pipeline: "canary", sha: sha, registry: registry, environment: environment)
        walls.append(wall.seconds)
        precondition(final.status == .succeeded, "canary pipeline failed: \(final.error ?? "")")
        last = final
    }
    let floor = rollout * 2 + bake
    let wall = percentile(walls, 0.5)
    print(
        String(
            format:
                "canary pipeline (default polls, rollouts %.1f s, bake %.0f s): median %.2f s (n=3) vs floor %.2f s → floor + %.2f s, %.2f× (goal ≤ floor + 1 s)",
            rollout, bake, wall, floor, wall - floor, wall / floor))
    if let last {
        let perStage = last.stages.filter { $0.apiCalls != nil }.map { stage in
            "\(stage.id) \(stage.apiCalls!.values.reduce(0, +))"
        }
        print("  AWS calls per stage (last run): \(perStage.joined(separator: ", "))")
    }
    withExtendedLifetime(moto) {}
}
