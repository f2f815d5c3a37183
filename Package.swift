// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "pipeline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pipeline", targets: ["pipeline"]),
        .library(name: "PipelineKit", targets: ["PipelineKit"]),
        .library(name: "PipelineTestKit", targets: ["PipelineTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
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
        .target(
            name: "BuiltinStages",
            dependencies: ["PipelineCore"],
            path: "Plugins/BuiltinStages"
        ),
        .target(
            name: "PipelineCLI",
            dependencies: [
                "PipelineCore", "PipelineStore", "BuiltinStages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PipelineKit",
            dependencies: ["PipelineCore", "PipelineStore", "PipelineCLI", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PipelineTestKit", dependencies: ["PipelineCore", "PipelineStore"]),
        .executableTarget(name: "pipeline", dependencies: ["PipelineCLI"]),
        .executableTarget(
            name: "pipeline-testkit",
            dependencies: ["PipelineCLI", "PipelineTestKit"]
        ),
        .executableTarget(
            name: "pipeline-bench",
            dependencies: ["PipelineCore", "PipelineStore", "PipelineTestKit"],
            path: "Benchmarks/PipelineBench"
        ),
        .testTarget(name: "PipelineCoreTests", dependencies: ["PipelineCore", "PipelineTestKit"]),
        .testTarget(name: "PipelineStoreTests", dependencies: ["PipelineStore", "PipelineTestKit"]),
        .testTarget(
            name: "PipelineCLITests",
            dependencies: ["PipelineCLI", "PipelineTestKit", "pipeline", "pipeline-testkit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
