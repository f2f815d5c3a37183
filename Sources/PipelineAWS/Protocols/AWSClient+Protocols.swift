import Foundation
import NIOHTTP1

extension AWSClient {
    static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }()

    static let jsonDecoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    /// An awsJson1_0 / awsJson1_1 call: `POST /` with `X-Amz-Target: <prefix>.<operation>`.
    func json<Input: Encodable, Output: Decodable>(
        _ service: AWSService, targetPrefix: String, version: String, operation: String, _ input: Input,
        idempotent: Bool = true, as: Output.Type = Output.self
    ) async throws -> Output {
        let body = try Self.jsonEncoder.encode(input)
        let response = try await send(
            Request(
                service: service, operation: operation,
                headers: [
                    ("content-type", "application/x-amz-json-\(version)"),
                    ("x-amz-target", "\(targetPrefix).\(operation)"),
                ], body: body, idempotent: idempotent))
        do {
            return try Self.jsonDecoder.decode(
                Output.self, from: response.body.isEmpty ? Data("{}".utf8) : response.body)
        } catch {
            throw AWSError(
                service: service.name, operation: operation, status: response.status, code: "InvalidResponse",
                message: "could not read the response: \(error)",
                requestID: response.headers.first(name: "x-amzn-RequestId"))
        }
    }

    /// An AWS query call (`Action=...&Version=...` form body, XML response); returns the `<OperationResult>` node.
    func query(
        _ service: AWSService, version: String, action: String, _ parameters: [(String, String)],
        idempotent: Bool = true
    ) async throws -> XMLNode {
        var pairs = [("Action", action), ("Version", version)] + parameters
        pairs = pairs.map { (URIEncoding.encode($0.0), URIEncoding.encode($0.1)) }
        let body = Data(pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&").utf8)
        let response = try await send(
            Request(
                service: service, operation: action,
                headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")], body: body,
                idempotent: idempotent))
        guard let xml = XMLNode.parse(response.body) else {
            throw AWSError(
                service: service.name, operation: action, status: response.status, code: "InvalidResponse",
                message: "the response is not XML")
        }
        return xml.first("\(action)Result") ?? xml
    }

    /// A rest-xml call; returns the parsed response document.
    func restXML(
        _ service: AWSService, operation: String, method: HTTPMethod, path: String, query: String = "",
        body: String? = nil, idempotent: Bool = true
    ) async throws -> XMLNode {
        let response = try await send(
            Request(
                service: service, operation: operation, method: method, path: path, query: query,
                headers: body == nil ? [] : [("content-type", "application/xml")], body: Data((body ?? "").utf8),
                idempotent: idempotent))
        guard let xml = XMLNode.parse(response.body) else {
            throw AWSError(
                service: service.name, operation: operation, status: response.status, code: "InvalidResponse",
                message: "the response is not XML")
        }
        return xml
    }
}
