import Foundation

extension RunRecord {
    /// Brings the record up to date with events recorded after it was written. `events.jsonl` is
    /// fsynced before each action while `run.json` is a snapshot written at most every few hundred
    /// milliseconds, so a reader of a live or crashed run replays the events onto the snapshot.
    public mutating func apply(_ events: [RunEvent]) {
        var indexByID: [String: Int] = [:]
        for (i, stage) in stages.enumerated() where indexByID[stage.id] == nil { indexByID[stage.id] = i }
        for event in events where event.run == id {
            switch event.type {
            case .stageStarted:
                guard let i = event.stage.flatMap({ indexByID[$0] }) else { continue }
                if stages[i].status == .pending || stages[i].startedAt == nil {
                    stages[i].status = .running
                    stages[i].startedAt = event.time
                }
            case .stageFinished:
                guard let i = event.stage.flatMap({ indexByID[$0] }),
                    let status = event.status.flatMap(StageStatus.init(rawValue:))
                else { continue }
                stages[i].status = status
                stages[i].endedAt = event.time
                stages[i].durationMs = event.durationMs
                stages[i].apiCalls = event.apiCalls
                stages[i].outputs = event.outputs ?? [:]
                stages[i].error = status == .succeeded ? nil : event.message
            case .runFinished:
                if let status = event.status.flatMap(RunStatus.init(rawValue:)) {
                    self.status = status
                    endedAt = event.time
                    durationMs = event.durationMs ?? durationMs
                    error = event.message ?? error
                }
            case .stageWaiting:
                guard let i = event.stage.flatMap({ indexByID[$0] }), stages[i].status.isActive,
                    let status = event.status.flatMap(StageStatus.init(rawValue:)), status.isActive
                else { continue }
                stages[i].status = status
            case .runStarted, .onFailureStarted, .cancelRequested, .note, .recoveryStarted, .operatorRequest:
                continue
            }
        }
    }
}

extension RunRecord {
    /// The record of a `running` run whose process is gone, as its store repairs it: `interrupted` (its
    /// running stages `cancelled`) for the next engine to recover — or, when the process died before
    /// any stage started (between recording the run and taking it on), `failed`: nothing was changed,
    /// so there is nothing to recover, and no lock names the run for a recovery to find it.
    public func abandoned(owner: String) -> RunRecord {
        var record = self
        let began = record.stages.contains { $0.startedAt != nil || $0.status != .pending }
        guard began || record.recovery != nil else {
            record.status = .failed
            record.error =
                record.error
                ?? "the process that ran it (\(owner)) died before the run started any stage: nothing was changed"
            record.endedAt = record.endedAt ?? Date()
            return record
        }
        record.status = .interrupted
        record.error = record.error ?? "the process that ran it (\(owner)) stopped before the run ended"
        for i in record.stages.indices where record.stages[i].status.isActive {
            record.stages[i].status = .cancelled
            record.stages[i].error = "interrupted"
        }
        return record
    }
}
