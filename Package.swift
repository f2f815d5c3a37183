// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pipeline", targets: ["pipeline"]),
        // What a stage or provider author imports: the engine's protocols and types, and swift-log.
        .library(name: "PipelineKit", targets: ["PipelineKit"]),
        // Builds a custom `pipeline` binary: `PipelineCommand.main(stages:providers:)`.
        .library(name: "PipelineCLI", targets: ["PipelineCLI"]),
        // A harness that checks and runs a stage as the engine does, a fake target and provider.
        .library(name: "PipelineTestKit", targets: ["PipelineTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .target(
            name: "PipelineCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(name: "PipelineStore", dependencies: ["PipelineCore"]),
        // The state in an S3 bucket (`--state-dir s3://BUCKET/PREFIX`): records, index, leases, cursors.
        .target(name: "PipelineStoreS3", dependencies: ["PipelineCore", "PipelineStore", "PipelineAWS"]),
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "PipelineGit", dependencies: ["CLibGit2", "PipelineCore", "PipelineStore"]),
        .target(
            name: "PipelineAWS",
            dependencies: [
                "PipelineCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Run events to webhooks, Slack and GitHub (`notify:`), in the background with retries.
        .target(
            name: "PipelineNotify",
            dependencies: [
                "PipelineCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The engine's HTTP endpoints: Prometheus metrics (`watch --metrics`), push webhooks (`watch --listen`).
        .target(
            name: "PipelineServer",
            dependencies: [
                "PipelineCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The local provider: tasks as processes, a load balancer, metrics and alarms, run by `pipeline agent`.
        .target(
            name: "PipelineLocal",
            dependencies: [
                "PipelineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "BuiltinStages",
            dependencies: ["PipelineCore"],
            path: "Plugins/BuiltinStages"
        ),
        .target(
            name: "PipelineCLI",
            dependencies: [
                "PipelineCore", "PipelineStore", "PipelineStoreS3", "PipelineGit", "PipelineAWS", "PipelineLocal",
                "PipelineNotify", "PipelineServer", "BuiltinStages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "PipelineKit", dependencies: ["PipelineCore", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "PipelineTestKit", dependencies: ["PipelineCore", .product(name: "Logging", package: "swift-log")]),
        // Repository-only helpers for this package's tests and benchmarks (support servers, processes,
        // fuzzing); not a product.
        .target(name: "PipelineTestSupport", path: "Tests/PipelineTestSupport"),
        .executableTarget(name: "pipeline", dependencies: ["PipelineCLI", "PipelineCore"]),
        .executableTarget(
            name: "pipeline-testkit",
            dependencies: ["PipelineCLI", "PipelineTestKit"]
        ),
        // The Swift stage example (examples/swift-stage), built here too so the tests can run it.
        .executableTarget(
            name: "pipeline-webhook",
            dependencies: ["PipelineKit", "PipelineCLI"],
            path: "examples/swift-stage/Sources/pipeline-webhook"
        ),
        // A third provider and a stage that uses its target, built from the public products only
        // (examples/custom-provider).
        .executableTarget(
            name: "pipeline-custom-provider",
            dependencies: ["PipelineKit", "PipelineCLI", "PipelineTestKit"],
            path: "examples/custom-provider/Sources/pipeline-custom-provider"
        ),
        .executableTarget(
            name: "pipeline-bench",
            dependencies: [
                "PipelineCore", "PipelineStore", "PipelineStoreS3", "PipelineGit", "PipelineAWS", "PipelineLocal",
                "PipelineTestKit",
                "PipelineTestSupport", "BuiltinStages", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/PipelineBench"
        ),
        // Seeded mutation fuzzing of what a commit controls (scripts/fuzz).
        .executableTarget(
            name: "pipeline-fuzz",
            dependencies: ["PipelineCore", "PipelineTestKit", "PipelineTestSupport", "BuiltinStages"],
            path: "Benchmarks/PipelineFuzz"),
        .testTarget(
            name: "PipelineCoreTests", dependencies: ["PipelineCore", "PipelineTestKit", "PipelineTestSupport"]),
        // Every branch of the built-in stages against the fake target: no network, no AWS.
        .testTarget(name: "BuiltinStagesTests", dependencies: ["BuiltinStages", "PipelineTestKit"]),
        .testTarget(
            name: "PipelineLocalTests", dependencies: ["PipelineLocal", "PipelineTestKit", "PipelineTestSupport"]),
        .testTarget(
            name: "PipelineStoreTests",
            dependencies: ["PipelineStore", "PipelineStoreS3", "PipelineTestKit", "PipelineTestSupport"]),
        .testTarget(
            name: "PipelineGitTests", dependencies: ["PipelineGit", "PipelineTestKit", "PipelineTestSupport"]),
        .testTarget(
            name: "PipelineAWSTests", dependencies: ["PipelineAWS", "PipelineTestKit", "PipelineTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "PipelineCLITests",
            dependencies: [
                "PipelineLocal", "PipelineAWS", "PipelineStore", "PipelineTestKit", "PipelineTestSupport", "pipeline",
                "pipeline-testkit",
                "pipeline-webhook", "pipeline-custom-provider", "pipeline-fuzz",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
