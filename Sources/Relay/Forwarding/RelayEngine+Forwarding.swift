import RTP
import SRTP
import VP8

/// The hot path: a publisher's RTP, decrypted once, rewritten and protected for each consumer.
extension RelayEngine {
    func handleRTP(
        _ packet: UnsafeMutableRawBufferPointer, from publisher: Participant, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let inbound = publisher.transport.inbound else { return counters.drop(.notConnected) }
        // Forwarding rewrites into the 2 KiB scratch buffer, plus the SRTP tag; no WebRTC stack sends
        // packets near that size (they stay under the path MTU).
        guard packet.count <= Self.maximumMediaPacket else { return counters.drop(.oversized) }
        // The SSRC and payload type are in the clear: an SSRC no producer can take is dropped before SRTP,
        // which would otherwise keep replay state for every SSRC a peer invents.
        guard packet.count >= 12,
            publisher.mayPublish(ssrc: Self.readUInt32(packet, at: 8), payloadType: packet[1] & 0x7F)
        else { return counters.drop(.unknownSSRC) }
        let length: Int
        do {
            length = try inbound.unprotectRTP(packet, length: packet.count)
        } catch {
            return counters.drop(error == .replayed ? .srtpReplay : .srtpAuthentication)
        }
        let plain = UnsafeMutableRawBufferPointer(rebasing: packet[0..<length])
        guard let header = try? RTPHeader(parsing: UnsafeRawBufferPointer(plain)) else {
            return counters.drop(.malformedRTP)
        }
        guard let producer = publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType),
            header.payloadType == producer.media.payloadType
        else {
            if publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType) == nil {
                _ = inbound.removeStream(ssrc: header.ssrc)
            }
            return counters.drop(.unknownSSRC)
        }
        publisher.statistics.packetsIn &+= 1
        publisher.statistics.bytesIn &+= UInt64(packet.count)
        producer.statistics.record(
            sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
            payloadBytes: header.payloadRange.count, arrivalNanoseconds: clock.nanoseconds(since: now))
        producer.history?.store(UnsafeRawBufferPointer(plain), sequenceNumber: header.sequenceNumber)

        var startsKeyframe = producer.kind == .audio
        if !startsKeyframe, let payload = try? VP8RTPPayload(
            parsing: UnsafeRawBufferPointer(rebasing: plain[header.payloadRange]))
        {
            startsKeyframe = payload.isKeyframe
        }
        for consumer in producer.consumers {
            if consumer.needsRestart {
                guard startsKeyframe else { continue }
                consumer.restart(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, now: now)
            }
            forward(UnsafeRawBufferPointer(plain), header: header, to: consumer, now: now, output: &output)
        }
    }

    /// Rewrites one decrypted packet into the consumer's numbering, protects it for the subscriber and
    /// sends it.
    func forward(
        _ plain: UnsafeRawBufferPointer, header: RTPHeader, to consumer: Consumer, now: ContinuousClock.Instant,
        retransmission: Bool = false, output: inout some DatagramOutput
    ) {
        let subscriber = consumer.subscriber
        guard let outbound = subscriber.transport.outbound, let remote = subscriber.transport.remote else { return }
        let out = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<plain.count])
        out.copyMemory(from: plain)
        guard let rewriter = RTPPacketRewriter(out) else { return }
        let sequenceNumber = header.sequenceNumber &+ consumer.sequenceDelta
        let timestamp = header.timestamp &+ consumer.timestampDelta
        rewriter.ssrc = consumer.media.localSSRC
        rewriter.sequenceNumber = sequenceNumber
        rewriter.timestamp = timestamp
        if consumer.media.payloadType != header.payloadType { rewriter.payloadType = consumer.media.payloadType }
        guard let protected = try? outbound.protectRTP(scratch, length: plain.count) else { return }
        if RTPSequenceNumber.isNewer(sequenceNumber, than: consumer.lastSequenceNumber) || consumer.packetsSent == 0 {
            consumer.lastSequenceNumber = sequenceNumber
            consumer.lastTimestamp = timestamp
            consumer.lastSentAt = now
        }
        consumer.packetsSent &+= 1
        consumer.octetsSent &+= UInt32(truncatingIfNeeded: header.payloadRange.count)
        if !retransmission { consumer.mediaBytesSent &+= UInt64(protected) }
        subscriber.statistics.packetsOut &+= 1
        subscriber.statistics.bytesOut &+= UInt64(protected)
        counters.rtpForwarded &+= 1
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }
}
