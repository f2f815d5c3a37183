import Foundation
import PipelineCore
import PipelineStore

/// Brings operators' requests for a running run (`pipeline approve`, `reject`, `abort`, `skip-bake`,
/// written to the state by any process on any machine) to the run's control, each once.
enum RequestPoller {
    /// Looks every `store.requestPollInterval` until cancelled.
    static func start(store: any StateStore, runID: String, control: RunControl) -> Task<Void, Never> {
        Task {
            var seen: Set<String> = []
            while !Task.isCancelled {
                if let requests = try? await store.requests(runID: runID) {
                    for request in requests where seen.insert(request.id).inserted {
                        control.deliver(request)
                    }
                }
                try? await Task.sleep(for: store.requestPollInterval)
            }
        }
    }
}
