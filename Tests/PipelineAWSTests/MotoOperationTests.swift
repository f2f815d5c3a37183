import Foundation
import PipelineCore
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineAWS

/// Every operation the stages use, against moto's server on 127.0.0.1.
@Suite struct MotoOperationTests {
    @Test func ecsTaskDefinitionsAndServices() async throws {
        let moto = try Moto.shared()
        let name = uniqueName("ops")
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        let ecs = ECS(client: testClient(moto.endpoint))

        let registered = try await ecs.registerTaskDefinition(
            taskDefinition(family: name, image: "repo/\(name):abc"),
            tags: [.init(key: "pipeline", value: "web"), .init(key: "commit", value: "abc")])
        #expect(registered.family == name)
        #expect(registered.revision == 2)
        #expect(registered.status == "ACTIVE")

        let (latest, tags) = try #require(try await ecs.describeTaskDefinition(name))
        #expect(latest.arn == registered.arn)
        #expect(Set(tags) == [.init(key: "pipeline", value: "web"), .init(key: "commit", value: "abc")])
        #expect(try await ecs.describeTaskDefinition("\(name)-nope") == nil)

        let arns = try await ecs.listTaskDefinitions(familyPrefix: name)
        #expect(arns.count == 2)
        #expect(arns.first == registered.arn)

        let service = try #require(try await ecs.describeService(cluster: name, service: name))
        #expect(service.taskDefinition == fx.string("task_definition_arn"))
        #expect(service.loadBalancers?.first?.targetGroupArn == fx.string("target_group_arn"))
        #expect(service.networkConfiguration?.awsvpcConfiguration?.subnets.count == 2)
        let (_, failures) = try await ecs.describeServices(cluster: name, services: ["ghost"])
        #expect(failures.first?.reason == "MISSING")

        var canary = ECS.CreateServiceInput(
            cluster: name, serviceName: "\(name)-canary", taskDefinition: registered.arn, desiredCount: 1)
        canary.loadBalancers = service.loadBalancers
        canary.networkConfiguration = service.networkConfiguration
        canary.launchType = service.launchType
        canary.clientToken = "token-\(name)"
        let created = try await ecs.createService(canary)
        #expect(created.serviceName == "\(name)-canary")
        #expect(created.desiredCount == 1)

        var update = ECS.UpdateServiceInput(cluster: name, service: name)
        update.taskDefinition = registered.arn
        update.deploymentConfiguration = .init(
            maximumPercent: 200, minimumHealthyPercent: 100,
            deploymentCircuitBreaker: .init(enable: true, rollback: false))
        let updated = try await ecs.updateService(update)
        #expect(updated.taskDefinition == registered.arn)
        let primary = try #require(updated.deployments?.first { $0.status == "PRIMARY" })
        #expect(primary.taskDefinition == registered.arn)
        #expect(primary.rolloutState == "IN_PROGRESS")

        let tasks = try await ecs.listTasks(cluster: name, serviceName: name)
        let described = try await ecs.describeTasks(cluster: name, tasks: tasks)
        #expect(described.count == tasks.count)
        try await ecs.tagResource(arn: try #require(created.serviceArn), tags: [.init(key: "canary", value: "true")])
    }

    @Test func ecsErrorsAreReadable() async throws {
        let moto = try Moto.shared()
        let ecs = ECS(client: testClient(moto.endpoint))
        do {
            _ = try await ecs.updateService(.init(cluster: "no-such-cluster", service: "x"))
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.service == "ECS")
            #expect(error.operation == "UpdateService")
            #expect(error.status == 400)
            #expect(error.code == "ClusterNotFoundException")
            #expect(error.description.hasPrefix("ECS UpdateService failed (HTTP 400 ClusterNotFoundException)"))
            #expect(error.attempts == 1)
        }
    }

    @Test func cloudWatchAlarmsAndMetrics() async throws {
        let moto = try Moto.shared()
        let name = uniqueName("cw")
        _ = try Moto.fixture(moto.endpoint, "setup", name)
        _ = try Moto.fixture(moto.endpoint, "set-alarm", "\(name)-5xx", "ALARM", "Threshold Crossed: 3 datapoints")
        let cw = CloudWatch(client: testClient(moto.endpoint))
        let byName = try await cw.describeAlarms(names: ["\(name)-5xx"])
        #expect(byName.count == 1)
        #expect(byName.first?.StateValue == "ALARM")
        #expect(byName.first?.StateReason == "Threshold Crossed: 3 datapoints")
        #expect(byName.first?.StateUpdatedTimestamp != nil)
        let byPrefix = try await cw.describeAlarms(prefix: name)
        #expect(byPrefix.map(\.AlarmName) == ["\(name)-5xx"])
        let results = try await cw.getMetricData(
            [
                .init(
                    id: "m1", namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count",
                    dimensions: [.init(Name: "LoadBalancer", Value: name)], period: 60, stat: "Sum")
            ], start: Date().addingTimeInterval(-600), end: Date())
        #expect(results.first?.Id == "m1")
    }

    @Test func elbv2() async throws {
        let moto = try Moto.shared()
        let name = uniqueName("lb")
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        let elb = ELBv2(client: testClient(moto.endpoint))
        let lbs = try await elb.describeLoadBalancers(names: ["\(name)-lb"])
        #expect(lbs.first?.arn == fx.string("load_balancer_arn"))
        #expect(lbs.first?.dnsName == fx.string("load_balancer_dns"))
        #expect(lbs.first?.canonicalHostedZoneID == fx.string("load_balancer_zone"))
        let tgs = try await elb.describeTargetGroups(arns: [fx.string("target_group_arn")])
        #expect(tgs.first?.name == "\(name)-tg")
        #expect(tgs.first?.port == 80)
        let listeners = try await elb.describeListeners(loadBalancerArn: fx.string("load_balancer_arn"))
        #expect(listeners.first?.arn == fx.string("listener_arn"))
        #expect(listeners.first?.defaultActions.first?.targetGroupArn == fx.string("target_group_arn"))
        let rules = try await elb.describeRules(listenerArn: fx.string("listener_arn"))
        #expect(rules.contains { $0.isDefault })
        let modified = try await elb.modifyListener(
            arn: fx.string("listener_arn"),
            defaultActions: [
                .init(forward: [.init(targetGroupArn: fx.string("target_group_arn"), weight: 100)])
            ])
        #expect(modified?.arn == fx.string("listener_arn"))
        if let rule = rules.first(where: { !$0.isDefault }) {
            _ = try await elb.modifyRule(arn: rule.arn, actions: rule.actions)
        }
        let health = try await elb.describeTargetHealth(targetGroupArn: fx.string("target_group_arn"))
        #expect(health.allSatisfy { !$0.state.isEmpty })
    }

    @Test func route53AliasRecords() async throws {
        let moto = try Moto.shared()
        let name = uniqueName("dns")
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        let r53 = Route53(client: testClient(moto.endpoint))
        let zone = fx.string("hosted_zone_id")
        let change = try await r53.changeAlias(
            hostedZoneID: zone, name: "api.\(name).example.com.", type: "A",
            alias: .init(
                hostedZoneID: fx.string("load_balancer_zone"), dnsName: fx.string("load_balancer_dns"),
                evaluateTargetHealth: true))
        #expect(!change.id.isEmpty)
        #expect(["PENDING", "INSYNC"].contains(change.status))
        let status = try await r53.getChange(id: change.id)
        #expect(status.status == "INSYNC")
        let sets = try await r53.listRecordSets(hostedZoneID: zone)
        let alias = try #require(sets.first { $0.name == "api.\(name).example.com." && $0.type == "A" })
        #expect(alias.alias?.dnsName == fx.string("load_balancer_dns"))
        #expect(alias.alias?.evaluateTargetHealth == true)
        #expect(sets.contains { $0.type == "SOA" })
    }

    @Test func cloudMap() async throws {
        let moto = try Moto.shared()
        let name = uniqueName("sd")
        let fx = try Moto.fixture(moto.endpoint, "setup", name)
        let sd = ServiceDiscovery(client: testClient(moto.endpoint))
        let ns = try await sd.getNamespace(id: fx.string("namespace_id"))
        #expect(ns.Name == "sd-\(name).example.com")
        #expect(ns.Properties?.DnsProperties?.HostedZoneId?.isEmpty == false)
        let found = try await sd.findService(namespaceID: ns.Id, name: "web")
        #expect(found?.Id == fx.string("sd_service_id"))
        #expect(try await sd.findService(namespaceID: ns.Id, name: "nope") == nil)
        let service = try await sd.getService(id: fx.string("sd_service_id"))
        #expect(service.Name == "web")
        let instances = try await sd.listInstances(serviceID: service.Id)
        #expect(instances.first?.Attributes?["AWS_INSTANCE_IPV4"] == "10.0.0.5")
    }
}
