// swift-tools-version: 6.0
// A custom `pipeline` binary with one extra Swift stage, built against the PipelineKit library.
import PackageDescription

let package = Package(
    name: "webhook-pipeline",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "pipeline", path: "../..")],
    targets: [
        .executableTarget(
            name: "pipeline-webhook",
            dependencies: [.product(name: "PipelineKit", package: "pipeline")]
        )
    ],
    swiftLanguageModes: [.v6]
)
