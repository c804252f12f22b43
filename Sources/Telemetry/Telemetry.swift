import CoreMetrics
import Prometheus
import Synchronization

/// The process's metrics in one Prometheus registry, which `/metrics` emits. Code everywhere records with
/// swift-metrics (`Counter`, `Timer`, `Recorder`), Hummingbird's `MetricsMiddleware` included; `bootstrap()`
/// points swift-metrics at the registry, with names and labels made Prometheus's (`MetricNames`). The relay's
/// hot path keeps its own plain counters and is read at scrape time (`RelayMetricsExporter`).
public enum Telemetry {
    /// What `/metrics` emits.
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Once per process (swift-metrics allows one bootstrap; later calls do nothing). Tests leave it alone:
    /// their metrics go to swift-metrics' no-op handler.
    public static func bootstrap() {
        guard bootstrapped.withLock({ done in defer { done = true }; return !done }) else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = MetricNames.prometheus
        factory.defaultDurationHistogramBuckets = MetricNames.durationBuckets
        for name in MetricNames.fineDurationHistograms { factory.durationHistogramBuckets[name] = MetricNames.fineDurationBuckets }
        MetricsSystem.bootstrap(factory)
    }

    /// The registry in the Prometheus text format, process metrics refreshed first.
    public static func exposition(of registry: PrometheusCollectorRegistry = registry) -> [UInt8] {
        ProcessMetrics.shared.update(registry)
        return registry.emitToBuffer()
    }
}
