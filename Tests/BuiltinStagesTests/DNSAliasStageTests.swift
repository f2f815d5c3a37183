import BuiltinStages
import PipelineCore
import PipelineTestKit
import Testing

@Suite struct DNSAliasStageTests {
    let base: [String: InputValue] = merged(fast, ["hosted_zone_id": "Z1", "record_name": "api.example.com"])

    @Test func pointsAtALoadBalancerAndWaitsForINSYNC() async {
        let fake = webTarget()
        fake.changesTakeLooks(2)
        let result = await harness(fake).run(DNSAliasStage(), inputs: merged(base, ["load_balancer": "web-alb"]))
        #expect(result.failure == nil)
        #expect(fake.record(named: "api.example.com")?.dnsName == "web-alb.elb.fake")
        #expect(result.outputs?[DNSAliasStage.Outputs.changeID]?.description.hasPrefix("change-") == true)
    }

    @Test func pointsAtAnAliasTarget() async {
        let fake = webTarget()
        let result = await harness(fake).run(
            DNSAliasStage(),
            inputs: merged(base, ["alias_target": .map(["dns_name": "x.example.net", "hosted_zone_id": "Z2"])]))
        #expect(result.failure == nil)
        #expect(fake.record(named: "api.example.com")?.hostedZoneID == "Z2")
    }

    @Test func pointsAtACloudMapService() async {
        let fake = webTarget()
        let result = await harness(fake).run(
            DNSAliasStage(),
            inputs: merged(base, ["service_discovery": .map(["namespace_id": "ns-1", "service": "web"])]))
        #expect(result.failure == nil)
        #expect(fake.record(named: "api.example.com")?.dnsName == "web.ns-1")
    }

    @Test func aRecordThatAlreadyPointsThereIsLeftAlone() async {
        let fake = webTarget()
        let inputs = merged(base, ["load_balancer": "web-alb"])
        _ = await harness(fake).run(DNSAliasStage(), inputs: inputs)
        let again = await harness(fake).run(DNSAliasStage(), inputs: inputs)
        #expect(again.failure == nil)
        #expect(again.outputs?[DNSAliasStage.Outputs.changeID] == "")
        #expect(fake.calls.filter { $0.hasPrefix("upsertAlias") }.count == 1)
    }

    @Test func aChangeThatStaysPendingTimesOut() async {
        let fake = webTarget()
        fake.changesTakeLooks(1000)
        let result = await harness(fake).run(
            DNSAliasStage(), inputs: merged(base, ["load_balancer": "web-alb", "timeout": "30ms"]))
        #expect(result.failure?.contains("not INSYNC in time") == true)
    }

    @Test(arguments: [
        ([:], "needs exactly one of"),
        (
            ["load_balancer": InputValue.string("a"), "alias_target": .map(["dns_name": "x", "hosted_zone_id": "Z"])],
            "needs exactly one of"
        ),
        (["load_balancer": .string("a"), "record_type": .string("CNAME")], "with.record_type: must be A or AAAA"),
        (["alias_target": .map(["dns_name": "x"])], "missing hosted_zone_id"),
        (["service_discovery": .map(["service": "web"])], "missing namespace_id"),
    ])
    func badTargetsAreRefusedBeforeAnythingChanges(extra: [String: InputValue], message: String) async {
        let fake = webTarget()
        let result = await harness(fake).run(DNSAliasStage(), inputs: merged(base, extra))
        #expect(!result.ran)
        #expect(result.failure?.contains(message) == true, "\(result.failure ?? "")")
    }

    @Test func aDryRunChangesNothing() async {
        let fake = webTarget()
        let result = await harness(fake).run(
            DNSAliasStage(), inputs: merged(base, ["load_balancer": "web-alb"]), dryRun: true)
        #expect(result.failure == nil)
        #expect(fake.record(named: "api.example.com") == nil)
    }
}
