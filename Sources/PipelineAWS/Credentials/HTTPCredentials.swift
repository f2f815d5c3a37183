import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The JSON that the ECS container endpoint and IMDS return.
struct TemporaryCredentialsJSON: Decodable {
    var AccessKeyId: String
    var SecretAccessKey: String
    var Token: String?
    var Expiration: String?
}

func fetch(_ http: HTTPClient, _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [])
    async throws -> (status: UInt, body: Data)
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    let response = try await http.execute(request, timeout: .seconds(2))
    let body = try await response.body.collect(upTo: 1 << 20)
    return (response.status.code, Data(body.readableBytesView))
}

/// ECS container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `_FULL_URI` with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (or `_TOKEN_FILE`), so the engine can run as an ECS task.
package struct ContainerCredentials: CredentialProvider {
    let environment: [String: String]
    let http: HTTPClient
    package init(environment: [String: String], http: HTTPClient) {
        self.environment = environment
        self.http = http
    }
    package var name: String { "container" }

    package func credentials() async throws -> AWSCredentials? {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = "http://169.254.170.2\(relative)"
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            url = full
        } else {
            return nil
        }
        var headers: [(String, String)] = []
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            headers.append(("Authorization", token))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append(("Authorization", token))
        }
        let response: (status: UInt, body: Data)
        do { response = try await fetch(http, url, headers: headers) } catch {
            throw CredentialError("container credentials endpoint did not answer: \(error)")
        }
        guard response.status == 200,
            let json = try? JSONDecoder().decode(TemporaryCredentialsJSON.self, from: response.body)
        else {
            throw CredentialError("container credentials endpoint answered HTTP \(response.status) without credentials")
        }
        return AWSCredentials(
            accessKeyID: json.AccessKeyId, secretAccessKey: json.SecretAccessKey, sessionToken: json.Token,
            expiration: json.Expiration.flatMap(parseISODate), source: name)
    }
}

/// EC2 instance metadata (IMDSv2): a session token, then the instance role's credentials.
/// `AWS_EC2_METADATA_DISABLED=true` turns it off; `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it.
package struct InstanceMetadataCredentials: CredentialProvider {
    let environment: [String: String]
    let http: HTTPClient
    package init(environment: [String: String], http: HTTPClient) {
        self.environment = environment
        self.http = http
    }
    package var name: String { "instance metadata (IMDSv2)" }

    package func credentials() async throws -> AWSCredentials? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        var base = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while base.hasSuffix("/") { base.removeLast() }
        let token: (status: UInt, body: Data)
        do {
            token = try await fetch(
                http, "\(base)/latest/api/token", method: .PUT,
                headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")])
        } catch {
            return nil  // not on EC2
        }
        guard token.status == 200 else { return nil }
        let header = [("X-aws-ec2-metadata-token", String(decoding: token.body, as: UTF8.self))]
        let roles = try await fetch(http, "\(base)/latest/meta-data/iam/security-credentials/", headers: header)
        guard roles.status == 200,
            let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first
        else { return nil }
        let creds = try await fetch(http, "\(base)/latest/meta-data/iam/security-credentials/\(role)", headers: header)
        guard creds.status == 200, let json = try? JSONDecoder().decode(TemporaryCredentialsJSON.self, from: creds.body)
        else {
            throw CredentialError(
                "instance metadata answered HTTP \(creds.status) without credentials for role \(role)")
        }
        return AWSCredentials(
            accessKeyID: json.AccessKeyId, secretAccessKey: json.SecretAccessKey, sessionToken: json.Token,
            expiration: json.Expiration.flatMap(parseISODate), source: name)
    }
}
