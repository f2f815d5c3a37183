import Foundation
import NIOHTTP1

/// Amazon S3 objects of one bucket (rest-xml), with the conditional writes leases and run numbers
/// rely on: `If-None-Match: *` (create only) and `If-Match: <etag>` (replace only that version).
///
/// On a custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`) objects are addressed path-style
/// (`endpoint/bucket/key`); on AWS virtual-hosted (`https://bucket.s3.region.amazonaws.com/key`).
package struct S3: Sendable {
    /// The client that signs and sends the calls.
    package let client: AWSClient
    /// The bucket.
    package let bucket: String

    package init(client: AWSClient, bucket: String) {
        self.client = client
        self.bucket = bucket
    }

    /// What a write requires of the object it replaces.
    package enum Condition: Sendable, Hashable {
        /// Write whatever is there.
        case none
        /// Only create: fails with `S3.preconditionFailed` when the key exists.
        case absent
        /// Only replace the version with this ETag: fails when the object changed or is gone.
        case matches(String)
    }

    /// An object's bytes and version.
    package struct Object: Sendable {
        package var data: Data
        package var etag: String
    }

    /// One key of a listing.
    package struct Entry: Sendable, Hashable {
        package var key: String
        package var etag: String
        package var size: Int
    }

    /// The error codes a failed condition comes back with (412, or 409 when two writes raced on S3).
    package static func isConditionFailure(_ error: any Error) -> Bool {
        guard let error = error as? AWSError else { return false }
        return error.status == 412 || error.code == "PreconditionFailed" || error.code == "ConditionalRequestConflict"
            || (error.status == 404 && error.operation == "PutObject")
    }

    private var customEndpoint: String? {
        let environment = client.configuration.environment
        for candidate in [
            client.configuration.endpointOverride, environment["AWS_ENDPOINT_URL_S3"], environment["AWS_ENDPOINT_URL"],
        ] {
            if var url = candidate, !url.isEmpty {
                while url.hasSuffix("/") { url.removeLast() }
                return url
            }
        }
        return nil
    }

    /// The base URL and the path of a key (percent-encoded once, slashes kept).
    private func address(_ key: String) -> (endpoint: String, path: String) {
        let encodedKey = URIEncoding.encode(key, keepSlash: true)
        if let custom = customEndpoint { return (custom, "/\(bucket)/\(encodedKey)") }
        let region = client.configuration.region
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        if bucket.contains(".") { return ("https://s3.\(region).\(suffix)", "/\(bucket)/\(encodedKey)") }
        return ("https://\(bucket).s3.\(region).\(suffix)", "/\(encodedKey)")
    }

    private func request(
        _ operation: String, method: HTTPMethod, key: String, query: String = "", headers: [(String, String)] = [],
        body: Data = Data(), idempotent: Bool = true
    ) -> AWSClient.Request {
        let (endpoint, path) = address(key)
        return AWSClient.Request(
            service: .s3, operation: operation, method: method, path: path, query: query, headers: headers,
            body: body, idempotent: idempotent, endpoint: endpoint)
    }

    /// The object at `key`, nil when there is none.
    package func get(_ key: String) async throws -> Object? {
        do {
            let response = try await client.send(request("GetObject", method: .GET, key: key))
            return Object(data: response.body, etag: response.headers.first(name: "ETag") ?? "")
        } catch let error as AWSError where error.status == 404 {
            return nil
        }
    }

    /// Writes `data` at `key` when `condition` holds; returns the new ETag. A failed condition throws
    /// an `AWSError` for which `isConditionFailure` is true. A conditional write is not retried after
    /// it may have reached S3 (its answer could be lost while the write stands).
    @discardableResult
    package func put(
        _ key: String, _ data: Data, condition: Condition = .none, contentType: String = "application/octet-stream"
    ) async throws -> String {
        var headers = [("content-type", contentType)]
        switch condition {
        case .none: break
        case .absent: headers.append(("if-none-match", "*"))
        case .matches(let etag): headers.append(("if-match", etag))
        }
        let response = try await client.send(
            request("PutObject", method: .PUT, key: key, headers: headers, body: data, idempotent: condition == .none))
        return response.headers.first(name: "ETag") ?? ""
    }

    /// Deletes `key` (only the version `etag` when given); deleting a missing key succeeds.
    package func delete(_ key: String, etag: String? = nil) async throws {
        let headers = etag.map { [("if-match", $0)] } ?? []
        do {
            _ = try await client.send(request("DeleteObject", method: .DELETE, key: key, headers: headers))
        } catch let error as AWSError where error.status == 404 && etag == nil {
            return
        }
    }

    /// Up to `limit` keys under `prefix` in key order, after `startAfter`; follows continuation tokens
    /// until `limit` keys are read or the listing ends.
    package func list(prefix: String, startAfter: String? = nil, limit: Int = .max, delimiter: String? = nil)
        async throws -> (entries: [Entry], prefixes: [String])
    {
        var entries: [Entry] = []
        var prefixes: [String] = []
        var token: String?
        repeat {
            var pairs = [
                ("list-type", "2"), ("prefix", prefix), ("max-keys", String(min(1000, limit - entries.count))),
            ]
            if let startAfter, token == nil { pairs.append(("start-after", startAfter)) }
            if let token { pairs.append(("continuation-token", token)) }
            if let delimiter { pairs.append(("delimiter", delimiter)) }
            let query = pairs.map { "\($0.0)=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
            let response = try await client.send(request("ListObjectsV2", method: .GET, key: "", query: query))
            guard let xml = XMLNode.parse(response.body) else {
                throw AWSError(
                    service: "S3", operation: "ListObjectsV2", status: response.status, code: "InvalidResponse",
                    message: "the response is not XML")
            }
            let result = xml.first("ListBucketResult") ?? xml
            for node in result.children where node.name == "Contents" {
                entries.append(
                    Entry(
                        key: node.value("Key") ?? "", etag: node.value("ETag") ?? "",
                        size: Int(node.value("Size") ?? "") ?? 0))
            }
            for node in result.children where node.name == "CommonPrefixes" {
                if let p = node.value("Prefix") { prefixes.append(p) }
            }
            token = result.value("IsTruncated") == "true" ? result.value("NextContinuationToken") : nil
        } while token != nil && entries.count < limit
        return (entries, prefixes)
    }

    /// Whether the bucket answers (HeadBucket); throws the AWS error when it does not.
    package func checkBucket() async throws {
        _ = try await client.send(request("HeadBucket", method: .HEAD, key: ""))
    }
}
