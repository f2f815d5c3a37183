import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineAWS

@Suite struct SignatureCheckingTests {
    /// moto with signature checking on: the right key works, a wrong secret gets 403 SignatureDoesNotMatch.
    @Test func motoChecksOurSignatures() async throws {
        let server = try SupportServer(script: "moto_server.py", arguments: ["--auth"])
        let keyID = server.info["access_key_id"] as! String
        let secret = server.info["secret_access_key"] as! String
        let client = testClient(server.endpoint, keyID: keyID, secret: secret)
        // One service per protocol moto checks: awsJson1_1, awsJson1_0, query. (moto's signature checking
        // does not cover Route 53: botocore itself is refused there, so rest-xml is checked against
        // botocore's own signatures in SigV4Tests instead.)
        _ = try await ECS(client: client).listTaskDefinitions(familyPrefix: "none")
        _ = try await CloudWatch(client: client).describeAlarms(prefix: "none")
        _ = try await ELBv2(client: client).describeLoadBalancers()
        _ = try await ServiceDiscovery(client: client).listServices(namespaceID: "ns-none")
        let bad = ECS(client: testClient(server.endpoint, keyID: keyID, secret: secret + "x"))
        do {
            _ = try await bad.listTaskDefinitions(familyPrefix: "none")
            Issue.record("a wrong secret must be refused")
        } catch let error as AWSError {
            #expect(error.status == 403)
            #expect(error.code == "SignatureDoesNotMatch")
            #expect(!error.description.contains(secret))
        }
    }
}

@Suite(.serialized) struct RetryTests {
    final class Proxy: Sendable {
        let server: SupportServer
        init(upstream: String) throws {
            server = try SupportServer(script: "fault_proxy.py", arguments: ["--upstream", upstream])
        }
        func arm(_ mode: String, count: Int, seconds: Double = 0) throws {
            let body = "{\"mode\": \"\(mode)\", \"count\": \(count), \"seconds\": \(seconds), \"reset\": true}"
            _ = try call("POST", "/__fault__", body)
        }
        func forwarded(_ operation: String) throws -> Int {
            let data = try call("GET", "/__fault__/stats", "")
            return ((try JSONSerialization.jsonObject(with: data) as? [String: Int]) ?? [:])[operation] ?? 0
        }
        private func call(_ method: String, _ path: String, _ body: String) throws -> Data {
            let script = """
                import sys, urllib.request
                data = sys.argv[3].encode() if sys.argv[2] == "POST" else None
                r = urllib.request.Request(sys.argv[1], data=data, method=sys.argv[2],
                                           headers={"Content-Type": "application/json"})
                print(urllib.request.urlopen(r).read().decode())
                """
            let out = try ProcessRunner.run("python3", ["-c", script, server.endpoint + path, method, body])
            return Data(out.stdout.utf8)
        }
    }

    static func setup() throws -> (Proxy, String, [String: Any]) {
        let moto = try Moto.shared()
        let name = uniqueName("retry")
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        return (try Proxy(upstream: moto.endpoint), name, fx)
    }

    @Test(arguments: ["throttle", "unavailable", "drop_before", "drop_after"])
    func idempotentCallsSucceedThroughTransientFaults(mode: String) async throws {
        let (proxy, name, _) = try Self.setup()
        let client = testClient(proxy.server.endpoint)
        try proxy.arm(mode, count: 2)
        let service = try await ECS(client: client).describeService(cluster: name, service: name)
        #expect(service?.serviceName == name)
        #expect(client.callCount.attempts == 3)
    }

    @Test func stalledAttemptTimesOutAndIsRetried() async throws {
        let (proxy, name, _) = try Self.setup()
        let client = testClient(
            proxy.server.endpoint,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), attemptTimeout: .milliseconds(500)))
        try proxy.arm("stall", count: 1, seconds: 6)
        let started = ContinuousClock.now
        let service = try await ECS(client: client).describeService(cluster: name, service: name)
        #expect(service != nil)
        #expect(client.callCount.attempts == 2)
        #expect(ContinuousClock.now - started < .seconds(5), "the stalled attempt was waited out instead of timed out")
    }

    @Test func registerIsNotRepeatedWhenItMayHaveBeenApplied() async throws {
        let (proxy, name, _) = try Self.setup()
        let client = testClient(proxy.server.endpoint)
        let ecs = ECS(client: client)
        try proxy.arm("drop_after", count: 1)
        do {
            _ = try await ecs.registerTaskDefinition(taskDefinition(family: name, image: "x:1"), tags: [])
            Issue.record("a dropped RegisterTaskDefinition must not be retried blindly")
        } catch let error as AWSError {
            #expect(error.attempts == 1)
        }
        #expect(try proxy.forwarded("RegisterTaskDefinition") == 1)
        // Throttling means "not processed": that is retried, and applied once.
        try proxy.arm("throttle", count: 2)
        let td = try await ecs.registerTaskDefinition(taskDefinition(family: name, image: "x:2"), tags: [])
        #expect(td.revision == 3)
        #expect(try proxy.forwarded("RegisterTaskDefinition") == 1)
    }

    @Test func persistentFaultsGiveUpWithAClearError() async throws {
        let (proxy, name, _) = try Self.setup()
        let client = testClient(proxy.server.endpoint)
        try proxy.arm("unavailable", count: 100)
        do {
            _ = try await ECS(client: client).describeService(cluster: name, service: name)
            Issue.record("expected to give up")
        } catch let error as AWSError {
            #expect(error.attempts == 3)
            #expect(error.status == 503)
            #expect(error.description.contains("after 3 attempts"))
        }
        #expect(try proxy.forwarded("DescribeServices") == 0)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let (proxy, _, _) = try Self.setup()
        let client = testClient(proxy.server.endpoint)
        do {
            _ = try await ECS(client: client).updateService(.init(cluster: "missing", service: "x"))
        } catch let error as AWSError {
            #expect(error.code == "ClusterNotFoundException")
        }
        #expect(client.callCount.attempts == 1)
    }
}
