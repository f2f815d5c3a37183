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
}

/// One stage of a run as recorded.
public struct StageRecord: Sendable, Codable, Hashable {
    public var id: String
    public var uses: String
    /// `main` or `on_failure`.
    public var phase: String
    public var status: StageStatus
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationMs: Int64?
    public var outputs: StageOutputs
    public var error: String?

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
    }
}

/// Everything recorded about one run: `run.json`.
public struct RunRecord: Sendable, Codable, Hashable {
    public var id: String
    public var number: Int
    public var pipeline: String
    public var pipelineFile: String
    public var status: RunStatus
    /// `manual` or `push`.
    public var trigger: String
    public var commit: CommitInfo
    /// Where the commit came from (repository path or URL).
    public var repository: String?
    public var target: TargetConfig
    /// `user@host`.
    public var startedBy: String
    public var pid: Int32
    public var workingDirectory: String
    public var startedAt: Date
    public var endedAt: Date?
    public var durationMs: Int64?
    public var stages: [StageRecord]
    public var error: String?
    public var dryRun: Bool
    /// The watched alarms just before the run's first change.
    public var alarmBaseline: [AlarmGuard.Entry]?
    /// Set when another process finished this run after its own process died.
    public var recovery: RecoveryInfo?

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
        for stage in stages where stage.status == .succeeded { out[stage.id] = stage.outputs }
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
    public var startedAt: Date
    public var endedAt: Date?
    /// What the recovery found and did, for people.
    public var note: String

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
    }

    public var time: Date
    public var type: Kind
    public var run: String
    public var stage: String?
    public var status: String?
    public var message: String?
    public var durationMs: Int64?
    public var outputs: StageOutputs?

    public init(
        _ type: Kind, run: String, stage: String? = nil, status: String? = nil, message: String? = nil,
        durationMs: Int64? = nil, outputs: StageOutputs? = nil, time: Date = Date()
    ) {
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
        case time, type, run, stage, status, message, outputs
        case durationMs = "duration_ms"
    }
}
