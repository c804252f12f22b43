import Prometheus
import Telemetry
import Testing

@testable import Relay
@testable import Signaling

/// The registry side of `/metrics`: library metric names made Prometheus's, relay counters that only move
/// forward however the snapshots arrive, and the relay's own histograms in the text format.
@Suite struct MetricsExportTests {
    @Test func libraryNamesAndLabelsBecomePrometheusOnes() {
        let (name, labels) = MetricNames.prometheus(
            "http.server.request.duration", [("http.route", "/api/sessions/{id}"), ("http.response.status_code", "200")])
        #expect(name == "peerlearn_http_request_duration_seconds")
        #expect(labels.map(\.0) == ["route", "status"] && labels.map(\.1) == ["/api/sessions/{id}", "200"])
        #expect(MetricNames.prometheus("hb.requests", []).0 == "peerlearn_http_requests_total")
        #expect(MetricNames.prometheus("some.library-metric 2", []).0 == "some_library_metric_2")
    }

    @Test func aCounterOnlyMovesForwardAcrossSnapshots() {
        let registry = PrometheusCollectorRegistry()
        let exporter = RelayMetricsExporter(registry: registry)
        // 10, then a snapshot that missed a worker (7), then 15: the counter reads 10, 10, 15, never 22.
        for value: UInt64 in [10, 7, 15] {
            exporter.record("peerlearn_test_total", type: "counter", help: "test", samples: [("{reason=\"x\"}", value)])
        }
        let text = registry.emitToString()
        #expect(text.contains("# TYPE peerlearn_test_total counter"), "\(text)")
        #expect(text.contains("peerlearn_test_total{reason=\"x\"} 15\n"), "\(text)")
        exporter.record("peerlearn_test_gauge", type: "gauge", help: "test", samples: [("", 3), ("", 2)])
        #expect(registry.emitToString().contains("peerlearn_test_gauge 2.0\n"))
    }

    @Test func joinTimesAreCumulativeHistograms() {
        var times = JoinTimes()
        times.recordConnected(after: .milliseconds(40))
        times.recordConnected(after: .milliseconds(300))
        times.recordConnected(after: .seconds(30))
        let text = histogram("peerlearn_relay_join_connected_seconds", "help", times.connected)
        #expect(text.contains("peerlearn_relay_join_connected_seconds_bucket{le=\"0.025\"} 0\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_bucket{le=\"0.05\"} 1\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_bucket{le=\"0.5\"} 2\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_bucket{le=\"10.0\"} 2\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_bucket{le=\"+Inf\"} 3\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_count 3\n"))
        #expect(text.contains("peerlearn_relay_join_connected_seconds_sum 30.34\n"), "\(text)")
    }
}
