import Logging
import OTel
import ServiceLifecycle
import Tracing

extension Telemetry {
    /// Spans of HTTP requests, bookings, room tokens and joins go to an OTLP/HTTP collector (Jaeger, Tempo, the
    /// OpenTelemetry Collector) when `endpoint` is set; the returned service batches and sends them and must run
    /// in the process's service group, first, so it is the last to stop and flushes what the others ended.
    /// Without an endpoint nothing is bootstrapped: spans go to swift-distributed-tracing's no-op tracer and
    /// cost a few branches. swift-otel's `OTEL_*` variables still refine an enabled exporter (headers, TLS,
    /// protocol, sampler).
    public static func bootstrapTracing(endpoint: String, serviceName: String) throws -> (any Service)? {
        guard !endpoint.isEmpty else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = endpoint
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        configuration.diagnosticLogLevel = .warning
        return try OTel.bootstrap(configuration: configuration)
    }
}
