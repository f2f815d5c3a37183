import AsyncHTTPClient
import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineAWS

@Suite struct CredentialTests {
    func home(credentials: String = "", config: String = "") throws -> String {
        let dir = NSTemporaryDirectory() + "aws-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/.aws", withIntermediateDirectories: true)
        try credentials.write(toFile: dir + "/.aws/credentials", atomically: true, encoding: .utf8)
        try config.write(toFile: dir + "/.aws/config", atomically: true, encoding: .utf8)
        return dir
    }

    func chain(_ env: [String: String]) -> CredentialChain {
        var env = env
        env["AWS_EC2_METADATA_DISABLED"] = env["AWS_EC2_METADATA_DISABLED"] ?? "true"
        return CredentialChain.standard(environment: env, http: .shared)
    }

    @Test func environmentComesFirst() async throws {
        let dir = try home(credentials: "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n")
        let found = try await chain([
            "HOME": dir, "AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret",
            "AWS_SESSION_TOKEN": "tok",
        ]).credentials()
        #expect(found?.accessKeyID == "ENVKEY")
        #expect(found?.sessionToken == "tok")
        #expect(found?.source == "environment")
    }

    @Test func sharedFilesAndProfiles() async throws {
        let dir = try home(
            credentials: """
                [default]
                aws_access_key_id = DEFAULTKEY
                aws_secret_access_key = defaultsecret
                # a comment
                [prod]
                aws_access_key_id=PRODKEY
                aws_secret_access_key=prodsecret
                aws_session_token = prodtoken
                """,
            config: "[default]\nregion = eu-west-1\n[profile prod]\nregion = ap-south-1\n")
        #expect(try await chain(["HOME": dir]).credentials()?.accessKeyID == "DEFAULTKEY")
        let prod = try await chain(["HOME": dir, "AWS_PROFILE": "prod"]).credentials()
        #expect(prod?.accessKeyID == "PRODKEY")
        #expect(prod?.sessionToken == "prodtoken")
        #expect(AWSConfiguration.resolveRegion(pipelineRegion: nil, environment: ["HOME": dir]) == "eu-west-1")
        #expect(
            AWSConfiguration.resolveRegion(pipelineRegion: nil, environment: ["HOME": dir, "AWS_PROFILE": "prod"])
                == "ap-south-1")
        do {
            _ = try await chain(["HOME": dir, "AWS_PROFILE": "typo"]).credentials()
            Issue.record("an unknown AWS_PROFILE must be an error")
        } catch {
            #expect("\(error)".contains("profile 'typo'"))
        }
    }

    @Test func filesNamedByEnvironment() async throws {
        let dir = try home()
        try "[default]\naws_access_key_id = ALTKEY\naws_secret_access_key = alt\n".write(
            toFile: dir + "/alt-credentials", atomically: true, encoding: .utf8)
        let found = try await chain(["HOME": dir, "AWS_SHARED_CREDENTIALS_FILE": dir + "/alt-credentials"])
            .credentials()
        #expect(found?.accessKeyID == "ALTKEY")
    }

    @Test func credentialProcess() async throws {
        let dir = try home(
            config: """
                [default]
                credential_process = printf '{"Version": 1, "AccessKeyId": "PROCKEY", "SecretAccessKey": "procsecret", "SessionToken": "proctoken", "Expiration": "2099-01-01T00:00:00Z"}'
                """)
        let found = try await chain(["HOME": dir]).credentials()
        #expect(found?.accessKeyID == "PROCKEY")
        #expect(found?.expiration != nil)
        let failing = try home(config: "[default]\ncredential_process = sh -c 'exit 3'\n")
        do {
            _ = try await chain(["HOME": failing]).credentials()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("exited with 3"))
        }
    }

    @Test func containerCredentials() async throws {
        let server = try SupportServer(script: "fake_metadata.py")
        let found = try await chain([
            "HOME": try home(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "secret-token",
        ]).credentials()
        #expect(found?.accessKeyID == "KEY1")
        #expect(found?.sessionToken == "token1")
        #expect(found?.source == "container")
    }

    @Test func instanceMetadataV2() async throws {
        let server = try SupportServer(script: "fake_metadata.py")
        let found = try await chain([
            "HOME": try home(), "AWS_EC2_METADATA_DISABLED": "false",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint,
        ]).credentials()
        #expect(found?.accessKeyID == "KEY1")
        #expect(found?.source.contains("IMDSv2") == true)
    }

    @Test func expiringCredentialsAreRefreshedBeforeTheyExpire() async throws {
        // Credentials with 10 minutes left are reused (the refresh margin is 5 minutes)...
        let long = try SupportServer(script: "fake_metadata.py", arguments: ["--ttl", "600"])
        let env = [
            "HOME": try home(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": long.endpoint + "/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "secret-token",
        ]
        let reused = chain(env)
        #expect(try await reused.credentials()?.accessKeyID == "KEY1")
        #expect(try await reused.credentials()?.accessKeyID == "KEY1")
        // ...while credentials with 2 minutes left are fetched again on every use.
        let short = try SupportServer(script: "fake_metadata.py", arguments: ["--ttl", "120"])
        let refreshing = chain([
            "HOME": try home(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": short.endpoint + "/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "secret-token",
        ])
        #expect(try await refreshing.credentials()?.accessKeyID == "KEY1")
        #expect(try await refreshing.credentials()?.accessKeyID == "KEY2")
    }

    @Test func nothingConfiguredIsAClearError() async throws {
        do {
            _ = try await chain(["HOME": try home()]).credentials()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("no AWS credentials found"))
        }
    }
}

@Suite struct ConfigurationTests {
    @Test func endpointsFollowTheSDKsOrder() {
        let env = [
            "AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_ECS": "http://ecs:2/",
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": "http://elb:3",
        ]
        let config = AWSConfiguration(region: "eu-west-1", environment: env)
        #expect(config.endpoint(for: .ecs) == "http://ecs:2")
        #expect(config.endpoint(for: .elbv2) == "http://elb:3")
        #expect(config.endpoint(for: .cloudWatch) == "http://all:1")
        let pipeline = AWSConfiguration(region: "eu-west-1", endpointOverride: "http://moto:5", environment: env)
        #expect(pipeline.endpoint(for: .ecs) == "http://moto:5")
        let real = AWSConfiguration(region: "eu-west-1", environment: [:])
        #expect(real.endpoint(for: .ecs) == "https://ecs.eu-west-1.amazonaws.com")
        #expect(real.endpoint(for: .cloudWatch) == "https://monitoring.eu-west-1.amazonaws.com")
        #expect(real.endpoint(for: .route53) == "https://route53.amazonaws.com")
        #expect(real.signingRegion(for: .route53) == "us-east-1")
        #expect(real.signingRegion(for: .ecs) == "eu-west-1")
    }

    @Test func regionOrder() {
        #expect(
            AWSConfiguration.resolveRegion(
                pipelineRegion: "us-west-2", environment: ["AWS_REGION": "eu-west-1", "HOME": "/nonexistent"])
                == "us-west-2")
        #expect(
            AWSConfiguration.resolveRegion(
                pipelineRegion: nil,
                environment: ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2", "HOME": "/nonexistent"])
                == "eu-west-1")
        #expect(
            AWSConfiguration.resolveRegion(
                pipelineRegion: nil, environment: ["AWS_DEFAULT_REGION": "eu-west-2", "HOME": "/nonexistent"])
                == "eu-west-2")
        #expect(AWSConfiguration.resolveRegion(pipelineRegion: nil, environment: ["HOME": "/nonexistent"]) == nil)
    }
}
