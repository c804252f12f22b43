/// Prometheus names for what libraries record under OpenTelemetry-style labels: units in the name, `_total`
/// on counters, underscores for dots, and short, bounded label names.
public enum MetricNames {
    /// Hummingbird's `MetricsMiddleware` names, and ours where a swift-metrics label needs a unit.
    static let renamed: [String: String] = [
        "hb.requests": "peerlearn_http_requests_total",
        "hb.request.errors": "peerlearn_http_request_errors_total",
        "http.server.request.duration": "peerlearn_http_request_duration_seconds",
        "http.server.active_requests": "peerlearn_http_active_requests",
    ]
    static let renamedLabels: [String: String] = [
        "http.route": "route",
        "http.request.method": "method",
        "http.response.status_code": "status",
    ]

    /// Request and join latencies: 1 ms to 10 s.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Database statements and connection waits, often well under a millisecond on SQLite: 50 µs to 5 s.
    static let fineDurationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    static let fineDurationHistograms = ["peerlearn_db_query_duration_seconds", "peerlearn_db_connection_wait_seconds"]

    @Sendable public static func prometheus(_ name: String, _ labels: [(String, String)]) -> (String, [(String, String)]) {
        let renamed = Self.renamed[name] ?? sanitize(name)
        return (renamed, labels.map { (renamedLabels[$0.0] ?? sanitize($0.0), $0.1) })
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`: anything else becomes `_`.
    static func sanitize(_ name: String) -> String {
        var result = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            let allowed = scalar.isASCII
                && ((scalar.properties.isAlphabetic) || scalar == "_" || scalar == ":" || (index > 0 && ("0"..."9").contains(scalar)))
            result.unicodeScalars.append(allowed ? scalar : "_")
        }
        return result.isEmpty ? "_" : result
    }
}
