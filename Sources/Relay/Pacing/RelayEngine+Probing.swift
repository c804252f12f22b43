import Congestion
import STUN

/// Bandwidth probes (GCC §5.1 "probing"): when a leg's estimator asks, the relay sends a short burst of
/// padding at the probe's rate so the feedback shows whether the path takes it, and the estimate can
/// climb back in a second rather than at 8% a second. Padding goes on the RTX stream of one of the leg's
/// video consumers (a padding-only RTX packet carries nothing a decoder sees, RFC 4588 §4), stamped with
/// the leg's transport-wide sequence number like any other packet. A leg without RTX is not probed.
extension RelayEngine {
    /// One probe being sent: its cluster, what has gone so far, and when it started.
    struct ActiveProbe {
        var cluster: ProbeCluster
        var startedAt: Int64
        var sentBytes = 0
        var sentPackets = 0

        /// When the next packet is due at the cluster's rate.
        var nextDue: Int64 {
            startedAt + Int64(sentBytes) * 8 * 1_000_000_000 / Int64(max(cluster.bitrate, 1))
        }

        var isComplete: Bool { sentPackets >= cluster.minPackets && sentBytes >= cluster.minBytes }
    }

    /// The padding in one probe packet: RTP allows at most 255 bytes of padding.
    static let probePadding = 255

    /// Starts a probe when the leg's estimator asks for one and there is something to learn: a simulcast
    /// layer the leg would take with more bandwidth. The probe never tests beyond that (an SFU cannot use
    /// what it would find there, and a 20 Mbit/s probe on a learner's phone is a flood).
    func startProbeIfAsked(_ participant: Participant, at nanoseconds: Int64) {
        guard participant.probe == nil, var cluster = participant.bandwidth?.pollProbe(at: nanoseconds),
            let estimate = participant.bandwidth?.targetBitrate
        else { return }
        // Up to what the next layer needs and a little more, or a quarter above the estimate when that is
        // more (a smaller step is lost in the noise of arrival times; `ProbeController.minimumRequestStep`).
        let ceiling = desiredBitrate(of: participant, now: clock.instant(nanoseconds))
            .map { max($0 + $0 / 10, estimate + estimate / 4) } ?? 0
        guard ceiling > estimate else { return }
        cluster.bitrate = min(cluster.bitrate, ceiling)
        participant.probe = ActiveProbe(cluster: cluster, startedAt: nanoseconds)
        schedule(participant)
    }

    /// Sends the probe packets due by `now`.
    func runProbe(of participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        let nanoseconds = clock.nanoseconds(since: now)
        startProbeIfAsked(participant, at: nanoseconds)
        guard var probe = participant.probe else { return }
        defer { participant.probe = probe.isComplete ? nil : probe }
        while !probe.isComplete && probe.nextDue <= nanoseconds {
            guard let size = sendPadding(to: participant, cluster: probe.cluster.id, now: now, output: &output) else {
                probe.sentPackets = Int.max / 2
                probe.sentBytes = Int.max / 2
                return
            }
            probe.sentBytes += size
            probe.sentPackets += 1
        }
    }

    /// One padding-only RTX packet to the leg, built in `rtxScratch`; its size, or nil when the leg has
    /// no connected video consumer with RTX and transport-wide sequence numbers.
    private func sendPadding(
        to participant: Participant, cluster: Int, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) -> Int? {
        guard let outbound = participant.transport.outbound, let remote = participant.transport.remote,
            let consumer = participant.consumers.first(where: {
                $0.kind == .video && $0.source != nil && $0.media.rtxPayloadType != nil && $0.media.rtxSSRC != nil
                    && $0.media.extensions.transportWideSequence != nil
            }),
            let payloadType = consumer.media.rtxPayloadType, let ssrc = consumer.media.rtxSSRC,
            let extensionID = consumer.media.extensions.transportWideSequence, (1...14).contains(extensionID)
        else { return nil }
        let sequence = participant.transportSequenceNumber
        participant.transportSequenceNumber &+= 1
        let rtpSequence = consumer.rtxSequenceNumber
        consumer.rtxSequenceNumber &+= 1
        let packet = rtxScratch
        // Header: V=2, P=1, X=1; PT; sequence; the last forwarded timestamp; the RTX SSRC.
        packet[0] = 0xB0
        packet[1] = payloadType & 0x7F
        packet[2] = UInt8(rtpSequence >> 8)
        packet[3] = UInt8(truncatingIfNeeded: rtpSequence)
        Self.write(consumer.lastTimestamp, into: packet, at: 4)
        Self.write(ssrc, into: packet, at: 8)
        // One-byte extension block (RFC 8285): the transport-wide sequence number, then zero padding.
        packet[12] = 0xBE
        packet[13] = 0xDE
        packet[14] = 0
        packet[15] = 1
        packet[16] = extensionID << 4 | 1
        packet[17] = UInt8(sequence >> 8)
        packet[18] = UInt8(truncatingIfNeeded: sequence)
        packet[19] = 0
        let padding = Self.probePadding
        for index in 20..<(20 + padding - 1) { packet[index] = 0 }
        packet[20 + padding - 1] = UInt8(padding)
        let length = 20 + padding
        guard let protected = try? outbound.protectRTP(packet, length: length) else { return nil }
        participant.statistics.packetsOut &+= 1
        participant.statistics.bytesOut &+= UInt64(protected)
        participant.bandwidth?.onPacketSent(
            sequenceNumber: sequence, size: protected, at: clock.nanoseconds(since: now), probeCluster: cluster)
        counters.probePackets &+= 1
        send(UnsafeRawBufferPointer(rebasing: packet[0..<protected]), to: remote, output: &output)
        return protected
    }

    private static func write(_ value: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer[offset] = UInt8(value >> 24)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}
