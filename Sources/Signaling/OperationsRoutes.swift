import Foundation
import HTTPTypes
import Hummingbird
import Relay
import Prometheus
import RelayServer
import Telemetry

/// `GET /healthz` (liveness: the process answers), `GET /readyz` (readiness: every part it needs answers)
/// for orchestrators, and `GET /metrics` in the Prometheus text format (0.0.4).
public struct OperationsRoutes: Sendable {
    let relay: RelayService
    /// What `/readyz` checks: the parts given (the database, the outbox) and the relay's workers.
    let readiness: [ReadinessCheck]
    /// How long `/readyz` waits for any one part.
    public static let readinessTimeout: Duration = .seconds(2)

    /// The relay's counters in the registry `/metrics` emits.
    let exporter: RelayMetricsExporter

    public init(relay: RelayService, readiness: [ReadinessCheck] = [], registry: PrometheusCollectorRegistry = Telemetry.registry) {
        self.relay = relay
        // Made once: each check lets one probe run at a time (`ReadinessCheck.run`).
        self.readiness = readiness + ReadinessCheck.relayWorkers(of: relay)
        self.exporter = RelayMetricsExporter(registry: registry)
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("healthz") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("readyz") { _, _ in
            let checks = self.readiness
            let answers = await ReadinessCheck.runAll(checks, timeout: Self.readinessTimeout)
            return Self.readinessResponse(answers)
        }
        router.get("metrics") { _, _ in
            let snapshot = await self.relay.snapshot()
            let batchDelay = Self.export(snapshot, to: self.exporter)
            var body = ByteBuffer(bytes: Telemetry.exposition(of: self.exporter.registry))
            body.writeString(batchDelay)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
    }

    /// 200 `{"status":"ready","checks":{…}}`, or 503 with `"reason"` naming every failing part.
    static func readinessResponse(_ answers: [(name: String, problem: String?)]) -> Response {
        struct Body: Encodable {
            let status: String
            let reason: String?
            let checks: [String: String]
        }
        let failing = answers.filter { $0.problem != nil }
        let body = Body(
            status: failing.isEmpty ? "ready" : "unavailable",
            reason: failing.isEmpty ? nil : failing.map { "\($0.name): \($0.problem ?? "")" }.joined(separator: "; "),
            checks: Dictionary(answers.map { ($0.name, $0.problem ?? "ok") }, uniquingKeysWith: { first, _ in first }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(body)) ?? Data(#"{"status":"unavailable"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(
            status: failing.isEmpty ? .ok : .serviceUnavailable, headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The relay's families from a snapshot into the registry (`RelayMetricsExporter`), and the batch
    /// delay histogram, which the workers keep in fixed buckets of their own, as text to append.
    static func export(_ snapshot: RelayService.Snapshot, to exporter: RelayMetricsExporter) -> String {
        let c = snapshot.counters
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: UInt64)]) {
            exporter.record(name, type: type, help: help, samples: samples)
        }
        for load in snapshot.workers {
            let worker = [("worker", String(load.worker))]
            exporter.gauge("peerlearn_relay_worker_participants", "Participants on each relay worker.", worker, Double(load.participants))
            exporter.gauge("peerlearn_relay_worker_rooms", "Rooms (or their parts) on each relay worker.", worker, Double(load.rooms))
            exporter.counter(
                "peerlearn_relay_worker_rtp_forwarded_total", "RTP packets each relay worker forwarded.", worker, load.rtpForwarded)
            exporter.counter(
                "peerlearn_relay_worker_sent_bytes_total", "UDP payload bytes each relay worker sent (its outgoing bitrate).",
                worker, load.bytesOut)
            exporter.counter(
                "peerlearn_relay_worker_busy_seconds_total",
                "Time each relay worker's event loop spent working rather than waiting (its rate: the worker's busy fraction).",
                worker, nanoseconds: load.busyNanoseconds)
            exporter.counter(
                "peerlearn_relay_worker_wakeups_total", "Wake-ups of each relay worker's event loop (a socket read, a timer or a task).", worker,
                load.wakeUps)
        }
        metric("peerlearn_relay_rooms", "gauge", "Rooms with at least one participant.", [("", UInt64(snapshot.rooms))])
        metric(
            "peerlearn_relay_participants", "gauge", "Participants connected or connecting.",
            [("", UInt64(snapshot.participants))])
        metric(
            "peerlearn_relay_datagrams_total", "counter", "UDP datagrams received and sent.",
            [("{direction=\"in\"}", c.datagramsIn), ("{direction=\"out\"}", c.datagramsOut)])
        metric(
            "peerlearn_relay_bytes_total", "counter", "UDP payload bytes received and sent.",
            [("{direction=\"in\"}", c.bytesIn), ("{direction=\"out\"}", c.bytesOut)])
        metric("peerlearn_relay_rtp_forwarded_total", "counter", "RTP packets forwarded to subscribers.", [("", c.rtpForwarded)])
        metric(
            "peerlearn_relay_retransmissions_total", "counter", "RTP packets resent from the NACK buffer.",
            [("", c.retransmissions)])
        metric(
            "peerlearn_relay_publisher_nacks_total", "counter",
            "NACKs the relay sent publishers for packets lost on their uplink, and the sequence numbers they named.",
            [("{unit=\"packets\"}", c.nacksSent), ("{unit=\"sequence_numbers\"}", c.packetsNacked)])
        metric(
            "peerlearn_relay_publisher_repairs_total", "counter",
            "Retransmissions from publishers that filled a gap the relay had NACKed.", [("", c.repairsReceived)])
        metric(
            "peerlearn_relay_transport_feedback_total", "counter",
            "RTCP transport-wide congestion control feedback packets sent to publishers.", [("", c.transportFeedback)])
        metric(
            "peerlearn_relay_retransmissions_refused_total", "counter",
            "NACKed packets not resent: NACK not negotiated, resent within the window, over the leg's budget, or no longer buffered.",
            RetransmissionRefusal.allCases.map { ("{reason=\"\($0.rawValue)\"}", c.refused($0)) })
        metric(
            "peerlearn_relay_keyframe_requests_total", "counter", "PLIs sent to publishers.", [("", c.keyframeRequests)])
        metric("peerlearn_relay_dtls_failures_total", "counter", "DTLS handshakes that failed.", [("", c.dtlsFailures)])
        metric(
            "peerlearn_relay_dtls_retired_total", "counter",
            "DTLS associations freed once the peer's first SRTP or SRTCP showed its handshake over (record keys kept for alerts).",
            [("", c.dtlsRetired)])
        metric(
            "peerlearn_relay_probe_packets_total", "counter",
            "Padding packets sent to probe subscriber legs' bandwidth (a simulcast layer waiting for it).",
            [("", c.probePackets)])
        metric(
            "peerlearn_relay_pacer_overflows_total", "counter",
            "Media packets sent unpaced because the engine's pacing pool was full.", [("", c.pacerOverflows)])
        metric(
            "peerlearn_relay_drops_total", "counter", "Datagrams dropped, by reason.",
            DropReason.allCases.map { ("{reason=\"\($0.rawValue)\"}", c.drops($0)) })
        metric(
            "peerlearn_relay_send_dropped_total", "counter",
            "Datagrams the kernel would not take (socket buffer full or destination unreachable).",
            [("", snapshot.send.dropped)])
        metric(
            "peerlearn_relay_send_syscalls_total", "counter", "sendmmsg calls on the relay's send path.",
            [("", snapshot.send.syscalls)])
        metric(
            "peerlearn_relay_send_messages_total", "counter",
            "Messages the kernel took on the relay's send path; a GSO message carries a run of datagrams to one peer.",
            [("", snapshot.send.messages)])
        metric(
            "peerlearn_relay_send_datagrams_total", "counter", "Datagrams the kernel took on the relay's send path.",
            [("", snapshot.send.datagrams)])
        metric(
            "peerlearn_relay_coalesced_datagrams_total", "counter",
            "Datagrams received inside coalesced (UDP GRO) reads, which the relay splits again.",
            [("", snapshot.coalescedDatagrams)])
        metric(
            "peerlearn_relay_coalesced_reads_total", "counter", "Coalesced (UDP GRO) reads.",
            [("", snapshot.coalescedReads)])
        var text = ""
        let delay = snapshot.batchDelay
        text += histogram(
            "peerlearn_relay_batch_delay_seconds",
            "How long received datagrams waited in the relay: from their read to the end of the send that flushed their batch's output (fan-out included).",
            delay)
        // Current distributions, exported as cumulative gauges with `le` labels (histogram_quantile reads them).
        let estimateBounds = EstimateDistribution.bounds.map { String($0) }
        let lossBounds = LossDistribution.bounds.map { String($0) }
        for (name, help, bounds, counts) in [
            ("peerlearn_relay_estimate_legs",
             "Subscriber legs whose bandwidth estimate is at most le bits/s now (a current distribution: use histogram_quantile on it as on a histogram).",
             estimateBounds, snapshot.estimates.legs),
            ("peerlearn_relay_leg_loss_ratio",
             "Subscriber legs whose receiver reports give at most le of their packets lost over the last report interval (the worst of the leg's tracks; a current distribution).",
             lossBounds, snapshot.legLoss.counts),
            ("peerlearn_relay_room_loss_ratio",
             "Rooms whose worst subscriber leg reports at most le loss over the last report interval (a current distribution: per-room quality without room labels).",
             lossBounds, snapshot.roomLoss.counts),
        ] {
            var cumulative: UInt64 = 0
            for (index, count) in counts.enumerated() {
                cumulative &+= count
                exporter.gauge(name, help, [("le", index < bounds.count ? bounds[index] : "+Inf")], Double(cumulative))
            }
        }
        let joins = snapshot.counters.joinTimes
        text += histogram(
            "peerlearn_relay_join_connected_seconds",
            "From a join reaching the relay (its WHIP/WHEP or room-socket request) to DTLS completing.",
            joins.connected)
        text += histogram(
            "peerlearn_relay_join_first_media_seconds",
            "From a join reaching the relay to the first media packet forwarded to or received from the participant.",
            joins.firstMedia)
        return text
    }
}

/// A Prometheus histogram in the text format from one of the relay's bucket histograms (seconds).
func histogram(_ name: String, _ help: String, _ histogram: BucketHistogram) -> String {
    let (bounds, counts, sumNanoseconds) = (histogram.bounds, histogram.counts, histogram.sumNanoseconds)
    var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
    var cumulative: UInt64 = 0
    for (index, count) in counts.enumerated() {
        cumulative &+= count
        let bound = index < bounds.count ? String(Double(bounds[index]) / 1e9) : "+Inf"
        text += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
    }
    text += "\(name)_sum \(Double(sumNanoseconds) / 1e9)\n"
    text += "\(name)_count \(cumulative)\n"
    return text
}
