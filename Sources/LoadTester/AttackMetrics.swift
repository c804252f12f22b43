import AsyncHTTPClient
import Foundation
import NIOCore

/// The relay's `/metrics` (Prometheus text), read before and after each phase of the attack
/// scenario. Every sample is kept by its full name with labels, so counters the relay gains later
/// (refusals, retransmission budgets, new drop reasons) show up without changing the tester: the
/// scenario measures what the relay does, it does not assume which limits exist.
struct RelayMetrics: Sendable {
    /// `name{labels}` → value, e.g. `peerlearn_relay_drops_total{reason="unknown_source"}`.
    var samples: [String: Double] = [:]

    /// Reads `url` (`…/metrics`); nil when the relay does not answer, so a run without metrics
    /// still measures the room.
    static func scrape(_ url: String, http: HTTPClient) async -> RelayMetrics? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(10)), response.status == .ok,
            let body = try? await response.body.collect(upTo: 4 << 20)
        else { return nil }
        return RelayMetrics(parsing: String(buffer: body))
    }

    init(samples: [String: Double] = [:]) {
        self.samples = samples
    }

    /// The text exposition format 0.0.4: `name{labels} value [timestamp]`, `#` lines are comments.
    init(parsing text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            // Labels may hold spaces inside quotes; the value is after the closing brace (or the name).
            let valueStart: String.Index
            if let brace = line.lastIndex(of: "}") {
                valueStart = line.index(after: brace)
            } else if let space = line.firstIndex(of: " ") {
                valueStart = space
            } else {
                continue
            }
            let name = line[..<valueStart].trimmingCharacters(in: .whitespaces)
            guard let token = line[valueStart...].split(separator: " ").first, let value = Double(token) else { continue }
            samples[name] = value
        }
    }

    /// Each worker's busy share of `seconds`, in %, in worker order; nil when the relay does not count it.
    func workerBusyPercent(since earlier: RelayMetrics?, seconds: Double) -> [Double]? {
        let prefix = "peerlearn_relay_worker_busy_seconds_total{worker=\""
        var shares: [(worker: Int, percent: Double)] = []
        for (name, value) in samples where name.hasPrefix(prefix) {
            guard let worker = Int(name.dropFirst(prefix.count).prefix { $0 != "\"" }), seconds > 0 else { continue }
            shares.append((worker, 100 * (value - (earlier?.samples[name] ?? 0)) / seconds))
        }
        return shares.isEmpty ? nil : shares.sorted { $0.worker < $1.worker }.map(\.percent)
    }

    /// What changed between `earlier` and now, for counters (`…_total`); gauges as they are now.
    /// Samples that did not move are left out, so the report lists only what the phase caused.
    func delta(since earlier: RelayMetrics) -> [String: Double] {
        var result: [String: Double] = [:]
        for (name, value) in samples {
            let base = name.split(separator: "{").first.map(String.init) ?? name
            if base.hasSuffix("_total") {
                let change = value - (earlier.samples[name] ?? 0)
                if change != 0 { result[name] = change }
            } else {
                result[name] = value
            }
        }
        return result
    }
}
