import Foundation

/// How a run ended, or that it is still going.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running
    case succeeded
    /// A stage failed and `on_failure` did not fully succeed (or there was none).
    case failed
    /// A stage failed and every `on_failure` stage succeeded.
    case rolledBack = "rolled_back"
    /// The process stopped before the run ended (second signal, crash, power loss).
    case interrupted
    /// A newer commit was queued before this one started (`pipeline watch`).
    case superseded
    /// The commit failed signature verification.
    case rejected

    /// True once the run can no longer change.
    public var isFinal: Bool { self != .running }
}

/// How a stage ended.
public enum StageStatus: String, Sendable, Codable {
    case pending, running, succeeded, failed, cancelled, skipped
    case timedOut = "timed_out"
    /// Running, and waiting for an operator (an `approval` stage).
    case waiting

    /// Started and not ended: `running` or `waiting`.
    public var isActive: Bool { self == .running || self == .waiting }
}

/// One stage of a run as recorded.
public struct StageRecord: Sendable, Codable, Hashable {
    /// The step's id.
    public var id: String
    /// The stage it ran (`uses:`).
    public var uses: String
    /// `main` or `on_failure`.
    public var phase: String
    /// How it ended (or `running`, `pending`).
    public var status: StageStatus
    /// When it started; nil when it never did.
    public var startedAt: Date?
    /// When it ended.
    public var endedAt: Date?
    /// How long it took, in milliseconds.
    public var durationMs: Int64?
    /// What it returned.
    public var outputs: StageOutputs
    /// Why it failed, for people.
    public var error: String?
    /// The calls it made to the platform while it ran (AWS operations, local agent requests), by
    /// operation; nil for runs recorded before they were counted.
    public var apiCalls: [String: Int]?

    /// A stage not started yet.
    public init(id: String, uses: String, phase: String) {
        self.id = id
        self.uses = uses
        self.phase = phase
        self.status = .pending
        self.outputs = [:]
    }

    enum CodingKeys: String, CodingKey {
        case id, uses, phase, status, outputs, error
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMs = "duration_ms"
        case apiCalls = "api_calls"
    }
}

/// Everything recorded about one run: `run.json`.
public struct RunRecord: Sendable, Codable, Hashable {
    /// `PIPELINE-N`.
    public var id: String
    /// N: the run's number within its pipeline.
    public var number: Int
    /// The pipeline's name.
    public var pipeline: String
    /// The pipeline file, relative to the repository.
    public var pipelineFile: String
    /// Where the run is: running, succeeded, failed, rolled back, interrupted, …
    public var status: RunStatus
    /// `manual` or `push`.
    public var trigger: String
    /// The deployed commit.
    public var commit: CommitInfo
    /// Where the commit came from (repository path or URL).
    public var repository: String?
    /// The pipeline's `target:` settings.
    public var target: TargetConfig
    /// `user@host`.
    public var startedBy: String
    /// The engine process that ran it.
    public var pid: Int32
    /// The folder the engine ran in.
    public var workingDirectory: String
    /// When it started.
    public var startedAt: Date
    /// When it ended; nil while it runs.
    public var endedAt: Date?
    /// How long it took, in milliseconds.
    public var durationMs: Int64?
    /// Every stage, main ones then `on_failure` ones, in order.
    public var stages: [StageRecord]
    /// Why it failed, for people.
    public var error: String?
    /// A `--dry-run`: nothing was changed.
    public var dryRun: Bool
    /// The watched alarms just before the run's first change.
    public var alarmBaseline: [AlarmGuard.Entry]?
    /// Set when another process finished this run after its own process died.
    public var recovery: RecoveryInfo?

    /// A record for a run that starts now.
    public init(
        id: String, number: Int, pipeline: Pipeline, trigger: String, commit: CommitInfo, repository: String?,
        startedBy: String, pid: Int32, workingDirectory: String, startedAt: Date, dryRun: Bool
    ) {
        self.id = id
        self.number = number
        self.pipeline = pipeline.name
        self.pipelineFile = pipeline.file
        self.status = .running
        self.trigger = trigger
        self.commit = commit
        self.repository = repository
        self.target = pipeline.target
        self.startedBy = startedBy
        self.pid = pid
        self.workingDirectory = workingDirectory
        self.startedAt = startedAt
        self.stages =
            pipeline.stages.map { StageRecord(id: $0.id, uses: $0.uses, phase: "main") }
            + pipeline.onFailure.map { StageRecord(id: $0.id, uses: $0.uses, phase: "on_failure") }
        self.dryRun = dryRun
    }

    /// Outputs of every stage that produced some, by id.
    public var outputs: [String: StageOutputs] {
        var out: [String: StageOutputs] = [:]
        // A stage that did not succeed still shows what it checkpointed (what `on_failure` must undo).
        for stage in stages where stage.status == .succeeded || !stage.outputs.isEmpty { out[stage.id] = stage.outputs }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case id, number, pipeline, status, trigger, commit, repository, target, pid, stages, error
        case pipelineFile = "pipeline_file"
        case startedBy = "started_by"
        case workingDirectory = "working_directory"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMs = "duration_ms"
        case dryRun = "dry_run"
        case alarmBaseline = "alarm_baseline"
        case recovery
    }
}

/// Who finished an interrupted run, when, and how.
public struct RecoveryInfo: Sendable, Codable, Hashable {
    /// `user@host (pid N)`.
    public var by: String
    /// When the recovery started.
    public var startedAt: Date
    /// When it ended.
    public var endedAt: Date?
    /// What the recovery found and did, for people.
    public var note: String

    /// A recovery.
    public init(by: String, startedAt: Date, endedAt: Date? = nil, note: String) {
        self.by = by
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case by, note
        case startedAt = "started_at"
        case endedAt = "ended_at"
    }
}

/// One line of `events.jsonl`.
public struct RunEvent: Sendable, Codable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Codable {
        case runStarted = "run_started"
        case stageStarted = "stage_started"
        case stageFinished = "stage_finished"
        case onFailureStarted = "on_failure_started"
        case cancelRequested = "cancel_requested"
        /// Something the engine did or waits for (alarm baseline, a wait for an alarm to clear, recovery).
        case note
        case recoveryStarted = "recovery_started"
        case runFinished = "run_finished"
        /// A stage started (status `waiting`) or stopped (status `running`) waiting for an operator.
        case stageWaiting = "stage_waiting"
        /// An operator's request and the engine's answer (`taken` or `ignored`) in `status`.
        case operatorRequest = "operator_request"
    }

    /// When it happened.
    public var time: Date
    /// What happened.
    public var type: Kind
    /// The run's id.
    public var run: String
    /// The stage's id, for stage events.
    public var stage: String?
    /// The run's or stage's status after the event.
    public var status: String?
    /// For people.
    public var message: String?
    /// How long the stage or run took, in milliseconds.
    public var durationMs: Int64?
    /// What the stage returned.
    public var outputs: StageOutputs?
    /// The operator request this event answers.
    public var request: OperatorRequest?
    /// The calls the stage made to the platform, by operation (`stage_finished`).
    public var apiCalls: [String: Int]?

    /// An event.
    public init(
        _ type: Kind, run: String, stage: String? = nil, status: String? = nil, message: String? = nil,
        durationMs: Int64? = nil, outputs: StageOutputs? = nil, request: OperatorRequest? = nil,
        apiCalls: [String: Int]? = nil, time: Date = Date()
    ) {
        self.request = request
        self.apiCalls = apiCalls
        self.time = time
        self.type = type
        self.run = run
        self.stage = stage
        self.status = status
        self.message = message
        self.durationMs = durationMs
        self.outputs = outputs
    }

    enum CodingKeys: String, CodingKey {
        case time, type, run, stage, status, message, outputs, request
        case durationMs = "duration_ms"
        case apiCalls = "api_calls"
    }
}
