import Foundation
import PipelineCore
import PipelineTestKit

@testable import PipelineAWS

/// A client for moto (or a proxy in front of it), with fast retries.
func testClient(
    _ endpoint: String, keyID: String = "test", secret: String = "test",
    retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20), attemptTimeout: .seconds(5))
) -> AWSClient {
    AWSClient(
        configuration: AWSConfiguration(region: "us-east-1", endpointOverride: endpoint, environment: [:]),
        credentials: EnvironmentCredentials(environment: ["AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret]),
        retry: retry)
}

/// A unique resource name for one test.
func uniqueName(_ prefix: String) -> String { "\(prefix)\(UInt32.random(in: 0...UInt32.max) % 1_000_000)" }

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String { self[key] as? String ?? "" }
}

/// A minimal Fargate task definition document.
func taskDefinition(family: String, image: String) -> JSONValue {
    .object([
        "family": .string(family), "networkMode": .string("awsvpc"),
        "requiresCompatibilities": .array([.string("FARGATE")]), "cpu": .string("256"), "memory": .string("512"),
        "containerDefinitions": .array([
            .object([
                "name": .string("app"), "image": .string(image), "essential": .bool(true),
                "portMappings": .array([.object(["containerPort": .int(8080), "protocol": .string("tcp")])]),
            ])
        ]),
    ])
}
