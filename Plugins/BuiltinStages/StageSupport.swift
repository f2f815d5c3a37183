import Foundation
import PipelineCore

extension StageContext {
    /// The main service: `target.service`.
    func mainService() throws -> String {
        guard let service = target.service else { throw StageFailure("target.service is not set") }
        return service
    }

    /// `with.canary_service`, else `<service>-canary`.
    func canaryService(_ explicit: String?) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        return "\(try mainService())-canary"
    }

    /// Every non-empty string an earlier stage (or its checkpoint) recorded under `key`.
    func recordedStrings(_ key: OutputKey) -> [String] {
        outputs.keys.sorted().compactMap { id in
            guard case .string(let value)? = outputs[id]?[key], !value.isEmpty else { return nil }
            return value
        }
    }

    /// `with.task_definition`, else the `task_definition_arn` output of an earlier stage.
    func taskDefinitionToDeploy(_ explicit: String?) throws -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        let candidates = outputs.compactMap { id, out -> (String, String)? in
            guard case .string(let arn)? = out[RegisterTaskDefinitionStage.Outputs.taskDefinitionARN] else {
                return nil
            }
            return (id, arn)
        }
        if candidates.count == 1 { return candidates[0].1 }
        if candidates.isEmpty {
            throw StageFailure(
                "no task definition to deploy: set with.task_definition or run register-task-definition first")
        }
        let ids = candidates.map(\.0).sorted().joined(separator: ", ")
        throw StageFailure("several stages output task_definition_arn (\(ids)); set with.task_definition")
    }
}

extension StageContext {
    /// A one-shot read that rides out a brief brownout, as the polling loops do: a transient failure
    /// (throttling, a 5xx, a lost connection — after the client's own retries) is looked at again after
    /// `poll`, at most `TransientFailures.tolerated` times in a row.
    func tolerant<T>(_ what: String, poll: Duration = .seconds(1), _ read: () async throws -> T) async throws -> T {
        var failures = TransientFailures()
        while true {
            do { return try await read() } catch {
                try failures.absorb(error) { logger.warning("\(what): \($0)") }
                try await sleep(for: poll)
            }
        }
    }
}
