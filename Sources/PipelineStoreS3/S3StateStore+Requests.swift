import Foundation
import PipelineCore
import PipelineStore

extension S3StateStore {
    package func postRequest(_ request: OperatorRequest, runID: String) async throws {
        guard RunStore.parse(runID: runID) != nil else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id (expected PIPELINE-N, e.g. web-12)")
        }
        _ = try await s3.put(
            layout.request(runID, request), try StateCoding.encoder.encode(request), condition: .absent,
            contentType: "application/json")
    }

    package func requests(runID: String) async throws -> [OperatorRequest] {
        guard RunStore.parse(runID: runID) != nil else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id")
        }
        let keys = try await s3.list(prefix: layout.requestsPrefix(runID)).entries.map(\.key).sorted()
        return try await fetchAll(keys) { try? StateCoding.decoder.decode(OperatorRequest.self, from: $0) }
            .compactMap { $0 }
    }

    package var requestPollInterval: Duration { .seconds(1) }
}
