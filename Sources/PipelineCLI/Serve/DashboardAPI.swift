import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PipelineCore
import PipelineStore

/// `/api/v1`: JSON mirroring the CLI's `--json` outputs (docs/openapi.json).
struct DashboardAPI: Sendable {
    let dashboard: Dashboard

    func add(to router: Router<BasicRequestContext>) {
        let store = dashboard.store
        router.get("/api/v1/runs") { request, _ in
            try await timed {
                do {
                    let query = try RunsQuery(Dashboard.parameters(request))
                    return Self.encoded(try await query.load(store).runs)
                } catch let error as PipelineError {
                    return Self.error(error.message, .badRequest)
                }
            }
        }
        router.get("/api/v1/runs/:id") { _, context in
            try await timed {
                try await Self.found { Self.encoded(try await store.load(runID: try dashboard.id(context))) }
            }
        }
        router.get("/api/v1/runs/:id/events") { _, context in
            try await timed {
                try await Self.found { Self.encoded(try await store.events(runID: try dashboard.id(context))) }
            }
        }
        router.get("/api/v1/runs/:id/logs/:stage") { _, context in
            try await Self.found {
                let id = try dashboard.id(context)
                let stage = try context.parameters.require("stage")
                guard try await store.load(runID: id).stages.contains(where: { $0.id == stage }) else {
                    return Self.error("run \(id) has no stage '\(stage)'", .notFound)
                }
                let data = try await store.logContents(runID: id, stage: stage) ?? Data()
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        router.get("/api/v1/targets/:pipeline") { _, context in
            try await timed {
                try await Self.found {
                    Self.encoded(try await dashboard.target(try context.parameters.require("pipeline")))
                }
            }
        }
        router.post("/api/v1/runs/:id/actions/:kind") { request, context in
            try await dashboard.action(
                try dashboard.id(context), kind: try context.parameters.require("kind"), request, api: true)
        }
    }

    /// Maps the store's not-found and bad-input errors to 404 and 400.
    static func found(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as PipelineError where error.code == .notFound {
            return Self.error(error.message, .notFound)
        } catch let error as PipelineError where error.isUserInputError {
            return Self.error(error.message, .badRequest)
        }
    }

    static func encoded<T: Encodable>(_ value: T) -> Response {
        let data = (try? RunRecordCoding.encoder.encode(value)) ?? Data("null".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ object: [String: String], _ status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ message: String, _ status: HTTPResponse.Status) -> Response {
        json(["error": message], status)
    }
}
