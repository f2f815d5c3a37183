import Foundation
import PipelineCore

extension RunStore {
    /// `runs/PIPELINE/N/requests/`: one JSON file per operator request.
    func requestsFolder(runID: String) throws -> String {
        guard let (pipeline, number) = Self.parse(runID: runID) else {
            throw PipelineError(.invalidInput, "'\(runID)' is not a run id (expected PIPELINE-N, e.g. web-12)")
        }
        return "\(runFolder(pipeline: pipeline, number: number))/requests"
    }

    package func postRequest(_ request: OperatorRequest, runID: String) async throws {
        let folder = try requestsFolder(runID: runID)
        try Posix.makeDirectory(folder)
        let name = "\(Timestamp.milliseconds(request.at))-\(StoreNames.safe(request.id)).json"
        try Posix.writeAtomically(try RunRecordCoding.encoder.encode(request), to: "\(folder)/\(name)")
    }

    package func requests(runID: String) async throws -> [OperatorRequest] {
        let folder = try requestsFolder(runID: runID)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: "\(folder)/\(name)").flatMap {
                try? RunRecordCoding.decoder.decode(OperatorRequest.self, from: $0)
            }
        }
    }

    package var requestPollInterval: Duration { .milliseconds(200) }
}
