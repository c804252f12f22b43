import Prometheus
import Synchronization

/// The relay's counters into the Prometheus registry at scrape time. The workers count with plain integers
/// on their event loops (no locks or metric objects on the hot path); a scrape sums them (`snapshot()`) and
/// this adds what each counter gained since the last scrape, so the registry's counters only move forward
/// even when a worker misses one snapshot.
final class RelayMetricsExporter: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The highest value reported per series (name and labels).
    private let reported = Mutex<[String: UInt64]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// A family in the old hand-written form: labels as `{key="value"}` text, `type` counter or gauge.
    func record(_ name: String, type: String, help: String, samples: [(labels: String, value: UInt64)]) {
        for sample in samples {
            let labels = Self.parse(sample.labels)
            if type == "counter" {
                counter(name, help, labels, sample.value)
            } else {
                gauge(name, help, labels, Double(sample.value))
            }
        }
    }

    func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        let counter = labels.isEmpty
            ? registry.makeCounter(name: name, help: help) : registry.makeCounter(name: name, labels: labels, help: help)
        let series = name + labels.map { "\u{1}\($0.0)=\($0.1)" }.joined()
        let delta = reported.withLock { reported -> UInt64 in
            let last = reported[series] ?? 0
            reported[series] = max(last, value)
            return value > last ? value - last : 0
        }
        if delta > 0 { counter.increment(by: Int64(clamping: delta)) }
    }

    /// A `_seconds_total` counter kept in nanoseconds, so its increments stay exact.
    func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], nanoseconds value: UInt64) {
        let counter = registry.makeCounter(name: name, labels: labels, help: help)
        let series = name + labels.map { "\u{1}\($0.0)=\($0.1)" }.joined()
        let delta = reported.withLock { reported -> UInt64 in
            let last = reported[series] ?? 0
            reported[series] = max(last, value)
            return value > last ? value - last : 0
        }
        if delta > 0 { counter.increment(by: Double(delta) / 1e9) }
    }

    func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        let gauge = labels.isEmpty
            ? registry.makeGauge(name: name, help: help) : registry.makeGauge(name: name, labels: labels, help: help)
        gauge.set(value)
    }

    /// `{a="x",b="y"}` (or "") as pairs; the values here are our own, without quotes or commas inside.
    static func parse(_ text: String) -> [(String, String)] {
        guard text.hasPrefix("{"), text.hasSuffix("}") else { return [] }
        return text.dropFirst().dropLast().split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1].filter { $0 != "\"" }))
        }
    }
}
