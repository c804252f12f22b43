import Foundation
import HTTPTypes
import Hummingbird
import Relay
import RelayServer

/// `GET /healthz` (liveness: the process answers), `GET /readyz` (readiness: every part it needs answers)
/// for orchestrators, and `GET /metrics` in the Prometheus text format (0.0.4).
public struct OperationsRoutes: Sendable {
    let relay: RelayService
    /// What `/readyz` checks besides the relay's workers (the database, the outbox).
    let readiness: [ReadinessCheck]
    /// How long `/readyz` waits for any one part.
    public static let readinessTimeout: Duration = .seconds(2)

    public init(relay: RelayService, readiness: [ReadinessCheck] = []) {
        self.relay = relay
        self.readiness = readiness
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("healthz") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("readyz") { _, _ in
            let checks = self.readiness + ReadinessCheck.relayWorkers(of: self.relay)
            let answers = await ReadinessCheck.runAll(checks, timeout: Self.readinessTimeout)
            return Self.readinessResponse(answers)
        }
        router.get("metrics") { _, _ in
            let snapshot = await self.relay.snapshot()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.render(snapshot))))
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

    static func render(_ snapshot: RelayService.Snapshot) -> String {
        let c = snapshot.counters
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: UInt64)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { text += "\(name)\(sample.labels) \(sample.value)\n" }
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
            [("", snapshot.sendDropped)])
        metric(
            "peerlearn_relay_coalesced_datagrams_total", "counter",
            "Datagrams received inside coalesced (UDP GRO) reads, which the relay splits again.",
            [("", snapshot.coalescedDatagrams)])
        metric(
            "peerlearn_relay_coalesced_reads_total", "counter", "Coalesced (UDP GRO) reads.",
            [("", snapshot.coalescedReads)])
        let delay = snapshot.batchDelay
        var cumulative: UInt64 = 0
        var buckets: [(labels: String, value: UInt64)] = []
        for (index, count) in delay.counts.enumerated() {
            cumulative &+= count
            let bound = index < BatchDelayHistogram.bounds.count
                ? String(Double(BatchDelayHistogram.bounds[index]) / 1e9) : "+Inf"
            buckets.append(("{le=\"\(bound)\"}", cumulative))
        }
        text += "# HELP peerlearn_relay_batch_delay_seconds How long received datagrams waited in the relay: "
            + "from their read to the end of the send that flushed their batch's output (fan-out included).\n"
        text += "# TYPE peerlearn_relay_batch_delay_seconds histogram\n"
        for bucket in buckets { text += "peerlearn_relay_batch_delay_seconds_bucket\(bucket.labels) \(bucket.value)\n" }
        text += "peerlearn_relay_batch_delay_seconds_sum \(Double(delay.sumNanoseconds) / 1e9)\n"
        text += "peerlearn_relay_batch_delay_seconds_count \(cumulative)\n"
        return text
    }
}

