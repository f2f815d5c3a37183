import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

/// Whole pipelines through a fault-injecting proxy in front of moto.
@Suite struct FaultInjectionTests {
    /// The proxy, controlled over HTTP (by python's urllib, off the cooperative pool).
    final class Proxy: Sendable {
        let server: SupportServer
        init(upstream: String) throws {
            server = try SupportServer(script: "fault_proxy.py", arguments: ["--upstream", upstream])
        }
        func control(_ path: String, _ body: String? = nil) async throws -> [String: Int] {
            let script = """
                import sys, urllib.request
                data = sys.argv[2].encode() if len(sys.argv) > 2 else None
                r = urllib.request.Request(sys.argv[1], data=data, method="POST" if data else "GET",
                                           headers={"Content-Type": "application/json"})
                print(urllib.request.urlopen(r).read().decode())
                """
            let arguments = ["-c", script, server.endpoint + path] + (body.map { [$0] } ?? [])
            let out = try await offThread { try ProcessRunner.run("python3", arguments) }
            return (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Int]) ?? [:]
        }
    }

    @Test func lostRegistrationAnswerIsFoundNotRegisteredTwice() async throws {
        let s = try await ECSPipelineTests.setup()
        let proxy = try Proxy(upstream: s.moto.endpoint)
        _ = try await proxy.control(
            "/__fault__", #"{"mode": "drop_after", "count": 1, "operation": "RegisterTaskDefinition", "reset": true}"#)
        let out = try await s.run("run", "web", environment: ["AWS_ENDPOINT_URL": proxy.server.endpoint])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(try await proxy.control("/__fault__/injected")["RegisterTaskDefinition:drop_after"] == 1)
        #expect(try await proxy.control("/__fault__/stats")["RegisterTaskDefinition"] == 1)
        #expect(try await s.revisions().count == 2, "one revision from the fixture, one from the run")
    }

    /// 20% of all requests fail (throttling, 503, a connection dropped before or after the request
    /// reached moto, 1 s stalls): 10 runs of 10 commits all succeed, with no duplicate revision.
    @Test func tenRunsUnderTwentyPercentFaultsAllSucceed() async throws {
        let s = try await ECSPipelineTests.setup()
        let proxy = try Proxy(upstream: s.moto.endpoint)
        _ = try await proxy.control("/__fault__", #"{"random": 0.2, "seed": 11, "seconds": 1, "reset": true}"#)
        var succeeded = 0
        for i in 0..<10 {
            try s.repo.write("change.txt", "\(i)")
            try s.repo.commit("change \(i)")
            let out = try await s.run("run", "web", environment: ["AWS_ENDPOINT_URL": proxy.server.endpoint])
            if out.status == 0 { succeeded += 1 }
            #expect(out.status == 0, "run \(i + 1): \(out.stdout)\(out.stderr)")
        }
        _ = try await proxy.control("/__fault__", #"{"random": 0}"#)
        let injected = try await proxy.control("/__fault__/injected")
        #expect(injected.values.reduce(0, +) > 50, "\(injected)")
        #expect(succeeded == 10)
        // Each run registered exactly one revision (its image names its commit): no duplicate.
        let revisions = try await s.revisions()
        #expect(revisions.count == 11, "\(revisions.count) revisions")
        #expect(Set(revisions.compactMap { ($0["images"] as? [String])?.first }).count == 11)
        print(
            "10 runs under 20% faults: \(succeeded)/10 succeeded, \(injected.values.reduce(0, +)) faults injected: \(injected.filter { $0.key.hasPrefix("Register") })"
        )
    }

    /// ECS takes a clientToken of at most 36 characters (the simulator checks it): a long service name
    /// (its canary `<service>-canary` is 33 characters here; ALB names cap the fixture at 26) still works.
    @Test func longServiceNameStaysWithinTheClientTokenLimit() async throws {
        let name = "longservicename\(100_000 + UInt32.random(in: 0..<900_000))token"
        #expect(name.count == 26)
        let s = try await ECSPipelineTests.setup(name: name)
        let out = try await s.run("run", "web")
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(try await s.service("\(s.name)-canary")["serviceName"] as? String == "\(s.name)-canary")
    }
}
