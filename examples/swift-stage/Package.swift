// swift-tools-version: 6.0
// A custom `pipeline` binary with one extra Swift stage: the stage is written against PipelineKit,
// the binary is built with PipelineCLI's `PipelineCommand.main(stages:)`.
import PackageDescription

let package = Package(
    name: "webhook-pipeline",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "pipeline", path: "../..")],
    targets: [
        .executableTarget(
            name: "pipeline-webhook",
            dependencies: [
                .product(name: "PipelineKit", package: "pipeline"), .product(name: "PipelineCLI", package: "pipeline"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
