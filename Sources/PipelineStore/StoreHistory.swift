import Foundation
import PipelineCore

/// Earlier runs read from the store, for stages such as rollback.
package struct StoreHistory: RunHistory {
    let store: any StateStore
    package init(store: any StateStore) { self.store = store }

    package func lastSucceededOutputs(pipeline: String) async throws -> [String: StageOutputs]? {
        guard
            let summary = try await store.list(
                pipeline: pipeline, status: .succeeded, limit: 1, includeDryRuns: false
            ).first
        else { return nil }
        return try await store.load(runID: summary.id).outputs
    }
}
