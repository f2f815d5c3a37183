import Foundation
import PipelineCore

/// Earlier runs read from the store, for stages such as rollback.
package struct StoreHistory: RunHistory {
    let store: RunStore
    package init(store: RunStore) { self.store = store }

    package func lastSucceededOutputs(pipeline: String) throws -> [String: StageOutputs]? {
        guard
            let summary = try store.list(
                pipeline: pipeline, status: .succeeded, limit: 1, includeDryRuns: false
            ).first
        else { return nil }
        let record = try store.load(runID: summary.id)
        return record.outputs
    }
}
