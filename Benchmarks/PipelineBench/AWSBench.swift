import AsyncHTTPClient
import BuiltinStages
import Foundation
import NIOCore
import PipelineAWS
import PipelineCore
import PipelineStore
import PipelineTestKit
import PipelineTestSupport

func benchClient(_ endpoint: String) -> AWSClient {
    AWSClient(
        configuration: AWSConfiguration(region: "us-east-1", endpointOverride: endpoint, environment: [:]),
        credentials: EnvironmentCredentials(environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"])
    )
}

/// The same call as raw HTTP: headers signed once up front, body prebuilt, straight through AsyncHTTPClient.
func rawCall(_ endpoint: String, target: String, body: String) async throws -> Double {
    let amzDate = SigV4.amzDate(Date())
    let host = String(endpoint.dropFirst("http://".count))
    let headers = [
        ("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target), ("host", host),
        ("x-amz-date", amzDate),
    ]
    let signed = SigV4.sign(
        .init(method: "POST", path: "/", query: "", headers: headers, payloadHash: SigV4.hexSHA256(Data(body.utf8))),
        accessKeyID: "test", secretAccessKey: "test", region: "us-east-1", service: "ecs", amzDate: amzDate)
    var request = HTTPClientRequest(url: endpoint + "/")
    request.method = .POST
    for (k, v) in headers where k != "host" { request.headers.add(name: k, value: v) }
    request.headers.add(name: "Authorization", value: signed.authorization)
    request.body = .bytes(ByteBuffer(string: body))
    let t = ContinuousClock.now
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    _ = try await response.body.collect(upTo: 1 << 24)
    precondition(response.status.code == 200, "raw call failed: \(response.status)")
    return ms(ContinuousClock.now - t)
}

func benchAWSClient() async throws {
    let moto = try SupportServer(script: "moto_server.py")
    let name = "bench"
    _ = try Moto.fixture(moto.endpoint, "setup", name)
    let client = benchClient(moto.endpoint)
    let ecs = ECS(client: client)
    let describeBody = "{\"cluster\":\"\(name)\",\"services\":[\"\(name)\"]}"
    // Warm up both paths.
    for _ in 0..<20 {
        _ = try await ecs.describeService(cluster: name, service: name)
        _ = try await rawCall(
            moto.endpoint, target: "AmazonEC2ContainerServiceV20141113.DescribeServices", body: describeBody)
    }
    var viaClient: [Double] = []
    var viaRaw: [Double] = []
    for _ in 0..<200 {
        let t = ContinuousClock.now
        _ = try await ecs.describeService(cluster: name, service: name)
        viaClient.append(ms(ContinuousClock.now - t))
        viaRaw.append(
            try await rawCall(
                moto.endpoint, target: "AmazonEC2ContainerServiceV20141113.DescribeServices", body: describeBody))
    }
    report("DescribeServices via the client", viaClient, goal: "-")
    report("DescribeServices raw HTTP (same run)", viaRaw, goal: "-")
    print(
        String(
            format: "client overhead DescribeServices: median %+.3f ms (goal < 1 ms)",
            percentile(viaClient, 0.5) - percentile(viaRaw, 0.5)))

    let td = JSONValue.object([
        "family": .string("benchreg"),
        "containerDefinitions": .array([
            .object(["name": .string("app"), "image": .string("x:1"), "memory": .int(128)])
        ]),
    ])
    let rawBody = td.canonicalText()
    var regClient: [Double] = []
    var regRaw: [Double] = []
    for _ in 0..<100 {
        let t = ContinuousClock.now
        _ = try await ecs.registerTaskDefinition(td, tags: [])
        regClient.append(ms(ContinuousClock.now - t))
        regRaw.append(
            try await rawCall(
                moto.endpoint, target: "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition", body: rawBody))
    }
    report("RegisterTaskDefinition via the client", regClient, goal: "-")
    report("RegisterTaskDefinition raw HTTP (same run)", regRaw, goal: "-")
    print(
        String(
            format: "client overhead RegisterTaskDefinition: median %+.3f ms (goal < 1 ms)",
            percentile(regClient, 0.5) - percentile(regRaw, 0.5)))

    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<200 {
            group.addTask { _ = try await ecs.describeService(cluster: name, service: name) }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    print(
        String(
            format: "200 concurrent DescribeServices: %.2f s, %.0f calls/s (moto serves one process; its own limit)",
            elapsed.seconds, 200 / elapsed.seconds))
}
