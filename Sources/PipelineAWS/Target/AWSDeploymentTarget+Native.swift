import Foundation
import PipelineCore

extension AWSDeploymentTarget {
    /// UpdateService with ECS's own strategy, its settings, the pipeline's alarms (ECS rolls back when
    /// one fires) and the load balancer's blue/green settings; returns the new service deployment.
    package func startNativeDeployment(_ service: String, taskDefinition: String, _ deployment: NativeDeployment)
        async throws -> String
    {
        guard let current = try await ecs.describeService(cluster: cluster, service: service) else {
            throw StageFailure("service \(service) does not exist in cluster \(cluster)")
        }
        let before = Set(
            try await ecs.listServiceDeployments(
                cluster: cluster, service: service, status: ["PENDING", "IN_PROGRESS"]
            ).map(\.serviceDeploymentArn))
        var input = ECS.UpdateServiceInput(cluster: cluster, service: service)
        input.taskDefinition = taskDefinition
        var configuration = ECS.DeploymentConfiguration(
            maximumPercent: nil, minimumHealthyPercent: nil, deploymentCircuitBreaker: nil)
        configuration.strategy = deployment.strategy.rawValue
        configuration.bakeTimeInMinutes = deployment.bakeTimeMinutes
        if deployment.strategy == .canary {
            configuration.canaryConfiguration = .init(
                canaryPercent: deployment.canaryPercent, canaryBakeTimeInMinutes: deployment.canaryBakeTimeMinutes)
        }
        if deployment.strategy == .linear {
            configuration.linearConfiguration = .init(
                stepPercent: deployment.linearStepPercent, stepBakeTimeInMinutes: deployment.linearStepBakeTimeMinutes)
        }
        if !deployment.alarms.isEmpty {
            configuration.alarms = .init(alarmNames: deployment.alarms, enable: true, rollback: true)
        }
        input.deploymentConfiguration = configuration
        if deployment.alternateTargetGroup != nil || deployment.productionListenerRule != nil {
            guard var balancers = current.loadBalancers, !balancers.isEmpty else {
                throw StageFailure("service \(service) has no load balancer: \(deployment.strategy.rawValue) needs one")
            }
            balancers[0].advancedConfiguration = .init(
                alternateTargetGroupArn: deployment.alternateTargetGroup,
                productionListenerRule: deployment.productionListenerRule,
                testListenerRule: deployment.testListenerRule, roleArn: deployment.roleARN)
            input.loadBalancers = balancers
        }
        _ = try await ecs.updateService(input)
        // The deployment this update started: the newest in flight that was not in flight before.
        for _ in 0..<20 {
            let now = try await ecs.listServiceDeployments(
                cluster: cluster, service: service, status: ["PENDING", "IN_PROGRESS"])
            if let started = now.first(where: { !before.contains($0.serviceDeploymentArn) }) {
                return started.serviceDeploymentArn
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw StageFailure("ECS started no service deployment for \(service) (ListServiceDeployments shows none)")
    }

    package func serviceDeployment(_ arn: String) async throws -> ServiceDeploymentState? {
        try await ecs.describeServiceDeployment(arn: arn).map {
            ServiceDeploymentState(
                arn: $0.serviceDeploymentArn, status: $0.status ?? "", lifecycleStage: $0.lifecycleStage,
                statusReason: $0.statusReason)
        }
    }

    package func stopServiceDeployment(_ arn: String, rollback: Bool) async throws {
        try await ecs.stopServiceDeployment(arn: arn, stopType: rollback ? "ROLLBACK" : "ABANDON")
    }
}
