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
        var plain = UnsafeMutableRawBufferPointer(rebasing: packet[0..<length])
        guard var header = try? RTPHeader(parsing: UnsafeRawBufferPointer(plain)) else {
            return counters.drop(.malformedRTP)
        }
        var isRepair = false
        let producer: Producer
        // Every packet the publisher sent counts for its congestion control, probes and repairs included.
        if let id = publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType)?.media.extensions.transportWideSequence
            ?? publisher.producer(rtxSSRC: header.ssrc)?.media.extensions.transportWideSequence
        {
            recordTransportSequence(UnsafeRawBufferPointer(plain), header: header, id: id, of: publisher, now: now)
        }
        if let repaired = publisher.producer(rtxSSRC: header.ssrc), header.payloadType == repaired.media.rtxPayloadType,
            let ssrc = repaired.ssrc
        {
            // RFC 4588: the original packet is inside, after its 2-byte sequence number.
            switch try? RetransmissionPacket.unwrap(plain, payloadType: repaired.media.payloadType, ssrc: ssrc) {
            case .original(let originalLength, _)?:
                plain = UnsafeMutableRawBufferPointer(rebasing: plain[0..<originalLength])
                guard let original = try? RTPHeader(parsing: UnsafeRawBufferPointer(plain)) else {
                    return counters.drop(.malformedRTP)
                }
                header = original
                isRepair = true
                producer = repaired
            case .paddingOnly?:
                return  // a bandwidth probe: nothing to forward
            case nil:
                return counters.drop(.malformedRTP)
            }
        } else {
            guard let found = publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType),
                header.payloadType == found.media.payloadType || header.payloadType == found.media.redPayloadType
            else {
                if publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType) == nil {
                    _ = inbound.removeStream(ssrc: header.ssrc)
                }
                return counters.drop(.unknownSSRC)
            }
            producer = found
        }
        publisher.statistics.packetsIn &+= 1
        publisher.statistics.bytesIn &+= UInt64(packet.count)
        // Reception statistics describe the uplink as it was: a repair does not undo the loss it repaired.
        if !isRepair {
            producer.statistics.record(
                sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
                payloadBytes: header.payloadRange.count, arrivalNanoseconds: clock.nanoseconds(since: now))
        }
        producer.history?.store(UnsafeRawBufferPointer(plain), sequenceNumber: header.sequenceNumber)

        if producer.kind == .audio && !isRepair {
            hearAudioLevel(UnsafeRawBufferPointer(plain), header: header, of: producer, now: now)
        }
        var startsKeyframe = producer.kind == .audio
        if !startsKeyframe, let payload = try? VP8RTPPayload(
            parsing: UnsafeRawBufferPointer(rebasing: plain[header.payloadRange]))
        {
            startsKeyframe = payload.isKeyframe
        }
        if producer.nacks != nil {
            // A plain retransmission (no RTX negotiated) is just a late packet to the generator.
            let filled = producer.nacks?.received(
                sequenceNumber: header.sequenceNumber, isKeyframe: startsKeyframe, isRetransmission: isRepair,
                now: clock.nanoseconds(since: now)) ?? false
            if filled { counters.repairsReceived &+= 1 }
            scheduleNacks(of: producer)
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
        // The extensions are rewritten into the subscriber's ids as the packet is copied; the relay's own
        // (mid, abs-send-time, transport-wide sequence) are written per hop.
        var transportSequence: UInt16?
        if consumer.media.extensions.transportWideSequence != nil {
            transportSequence = subscriber.transportSequenceNumber
            subscriber.transportSequenceNumber &+= 1
        }
        let sendTime = consumer.media.extensions.absoluteSendTime.map { _ in
            AbsoluteSendTime.value(nanoseconds: UInt64(max(0, clock.nanoseconds(since: now))))
        }
        guard var length = try? consumer.extensionMapping.rewrite(
            plain, header: header, into: scratch, transportSequenceNumber: transportSequence, absoluteSendTime: sendTime),
            length <= Self.maximumMediaPacket + 32
        else { return counters.drop(.malformedRTP) }
        var payloadType = consumer.media.payloadType
        if let source = consumer.source, header.payloadType == source.media.redPayloadType {
            // RED goes on as RED to a subscriber that speaks it with the same Opus numbering; anyone else
            // gets the primary encoding alone.
            if let red = consumer.media.redPayloadType, source.media.payloadType == consumer.media.payloadType {
                payloadType = red
            } else {
                guard let primary = try? RedundantAudio.extractPrimary(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])),
                    primary.payloadType == source.media.payloadType
                else { return counters.drop(.malformedRTP) }
                length = primary.length
            }
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])
        guard let rewriter = RTPPacketRewriter(out) else { return }
        let sequenceNumber = header.sequenceNumber &+ consumer.sequenceDelta
        let timestamp = header.timestamp &+ consumer.timestampDelta
        rewriter.ssrc = consumer.media.localSSRC
        rewriter.sequenceNumber = sequenceNumber
        rewriter.timestamp = timestamp
        if payloadType != header.payloadType { rewriter.payloadType = payloadType }
        // A subscriber that negotiated RTX gets its repairs on the RTX stream (RFC 4588), which keeps its
        // loss statistics and jitter buffer for the media stream honest.
        if retransmission, let rtxSSRC = consumer.media.rtxSSRC, let rtxPayloadType = consumer.media.rtxPayloadType {
            guard let wrapped = try? RetransmissionPacket.wrap(
                UnsafeRawBufferPointer(out), payloadType: rtxPayloadType, ssrc: rtxSSRC,
                sequenceNumber: consumer.rtxSequenceNumber, into: rtxScratch),
                let protected = try? outbound.protectRTP(rtxScratch, length: wrapped)
            else { return }
            consumer.rtxSequenceNumber &+= 1
            subscriber.statistics.packetsOut &+= 1
            subscriber.statistics.bytesOut &+= UInt64(protected)
            return send(UnsafeRawBufferPointer(rebasing: rtxScratch[0..<protected]), to: remote, output: &output)
        }
        guard let protected = try? outbound.protectRTP(scratch, length: length) else { return }
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
