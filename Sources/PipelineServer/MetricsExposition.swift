import Hummingbird
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The process's metrics in Prometheus text (`GET /metrics`): swift-metrics bootstrapped once with a
/// swift-prometheus registry, so every `Counter`/`Timer`/`Gauge` the engine records lands there.
package enum MetricsExposition {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with Prometheus (once per process) and returns the registry.
    package static func bootstrap() -> PrometheusCollectorRegistry {
        registry.withLock { existing in
            if let existing { return existing }
            let made = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: made)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(30),
                .seconds(60), .seconds(120), .seconds(300), .seconds(600), .seconds(1800),
            ]
            factory.defaultValueHistogramBuckets = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600]
            MetricsSystem.bootstrap(factory)
            existing = made
            return made
        }
    }

    static func add(_ registry: PrometheusCollectorRegistry, to router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
