import Hummingbird
import Logging
import PipelineCore
import Prometheus
import ServiceLifecycle

/// One HTTP listener of the engine (`watch --metrics ADDRESS`, `watch --listen ADDRESS`, the same
/// address serving both when given twice), run as a service beside the watcher.
package enum EngineServer {
    /// `HOST:PORT` → (host, port); throws `.invalidInput` naming the flag.
    package static func parse(_ address: String, flag: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port), colon > address.startIndex
        else {
            throw PipelineError(.invalidInput, "\(flag): expected HOST:PORT like 127.0.0.1:9464, got '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// A server on `address` with the metrics endpoint and/or the hooks.
    package static func make(
        address: (host: String, port: Int), metrics: PrometheusCollectorRegistry?, hooks: PushHooks?
    ) -> some Service {
        let router = Router()
        if let metrics { MetricsExposition.add(metrics, to: router) }
        hooks?.add(to: router)
        router.get("/healthz") { _, _ in "ok\n" }
        var logger = Logger(label: "pipeline.server")
        logger.logLevel = .warning
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "pipeline"),
            logger: logger)
    }
}
