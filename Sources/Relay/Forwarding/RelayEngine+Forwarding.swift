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
        if !publisher.transport.peerIsKeyed { notePeerKeyed(publisher) }
        var plain = UnsafeMutableRawBufferPointer(rebasing: packet[0..<length])
        guard var header = try? RTPHeader(parsing: UnsafeRawBufferPointer(plain)) else {
            return counters.drop(.malformedRTP)
        }
        var isRepair = false
        let producer: Producer
        if publisher.hasUnboundLayers, publisher.producer(ssrc: header.ssrc, payloadType: header.payloadType) == nil,
            publisher.producer(rtxSSRC: header.ssrc) == nil,
            !bindSimulcastSSRC(UnsafeRawBufferPointer(plain), header: header, of: publisher)
        {
            // A simulcast layer's SSRC is learned from its rid; a packet naming none of them is dropped.
            _ = inbound.removeStream(ssrc: header.ssrc)
            return counters.drop(.unknownSSRC)
        }
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
                // An OSN and padding only: a probe that names a packet without carrying it.
                guard !original.payloadRange.isEmpty else {
                    repaired.paddingPackets &+= 1
                    return
                }
                header = original
                isRepair = true
                producer = repaired
            case .paddingOnly?:
                repaired.paddingPackets &+= 1
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
        if !publisher.hasMedia { noteFirstMedia(of: publisher, now: now) }
        publisher.statistics.bytesIn &+= UInt64(packet.count)
        // Reception statistics describe the uplink as it was: a repair does not undo the loss it repaired.
        if !isRepair {
            producer.statistics.record(
                sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
                payloadBytes: header.payloadRange.count, arrivalNanoseconds: clock.nanoseconds(since: now))
        }
        if header.payloadRange.isEmpty {
            return skipProbe(header, of: producer, isRepair: isRepair, now: now)
        }
        if producer.history?.store(
            UnsafeRawBufferPointer(plain), sequenceNumber: header.sequenceNumber, now: clock.nanoseconds(since: now)) == true
        {
            // The history grew (a few times in a track's life): its legs' NACK state grows with it.
            for consumer in producer.consumers { consumer.followHistory(of: producer) }
        }

        if producer.kind == .audio && !isRepair {
            hearAudioLevel(UnsafeRawBufferPointer(plain), header: header, of: producer, now: now)
        }
        var startsKeyframe = producer.kind == .audio
        var vp8: VP8RTPPayload?
        if !startsKeyframe, let payload = try? VP8RTPPayload(
            parsing: UnsafeRawBufferPointer(rebasing: plain[header.payloadRange]))
        {
            startsKeyframe = payload.isKeyframe
            vp8 = payload
        }
        if let track = producer.simulcast {
            producer.layerStatistics.record(bytes: header.payloadRange.count, now: now)
            if let size = vp8?.keyframeInfo,
                producer.layerStatistics.keyframe(width: Int(size.width), height: Int(size.height))
            {
                track.rerank()
            }
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
            if consumer.layers != nil {
                forwardLayered(
                    UnsafeRawBufferPointer(plain), header: header, vp8: vp8, keyframe: startsKeyframe, from: producer,
                    to: consumer, now: now, output: &output)
                continue
            }
            if consumer.needsRestart {
                // Only a leg that can carry it starts at a keyframe: one that came before the subscriber
                // connected is lost, and the leg would start on frames its decoder cannot use.
                guard startsKeyframe, consumer.subscriber.canReceiveMedia else {
                    // Waiting for a keyframe that nobody asked for (the request was lost, or throttled
                    // away): ask, at most once per throttle interval whatever the number of waiting legs.
                    if consumer.subscriber.canReceiveMedia, !producer.keyFrames.pending {
                        requestKeyframeSoon(producer, now: now)
                    }
                    continue
                }
                consumer.restart(
                    sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, nanoseconds: clock.nanoseconds(since: now))
            }
            guard let sequenceNumber = consumer.sequence.map(header.sequenceNumber) else { continue }
            consumer.sent?.record(sent: sequenceNumber, source: header.sequenceNumber, layer: 0)
            forward(
                UnsafeRawBufferPointer(plain), header: header, to: consumer, sequenceNumber: sequenceNumber, now: now,
                output: &output)
        }
    }

    /// A padding-only packet on the media SSRC (a bandwidth probe once the publisher gets transport
    /// feedback): counted and not forwarded. Its sequence number is a received one for the NACK
    /// generator, and a skipped one for each consumer forwarding this stream, whose numbering stays
    /// gap-free. (aiortc, for one, fails on an empty VP8 payload.)
    private func skipProbe(_ header: RTPHeader, of producer: Producer, isRepair: Bool, now: ContinuousClock.Instant) {
        producer.paddingPackets &+= 1
        guard !isRepair else { return }
        if producer.nacks != nil {
            _ = producer.nacks?.received(
                sequenceNumber: header.sequenceNumber, isKeyframe: false, isRetransmission: false,
                now: clock.nanoseconds(since: now))
            scheduleNacks(of: producer)
        }
        for consumer in producer.consumers where !consumer.needsRestart && consumer.isForwarding(producer) {
            consumer.sequence.skip(header.sequenceNumber)
        }
    }

    /// Rewrites one decrypted packet into the consumer's numbering, protects it for the subscriber and
    /// sends it.
    func forward(
        _ plain: UnsafeRawBufferPointer, header: RTPHeader, to consumer: Consumer, sequenceNumber: UInt16,
        vp8: VP8Rewrite? = nil, now: ContinuousClock.Instant, retransmission: Bool = false,
        output: inout some DatagramOutput
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
        // The copy is built where it is sent from when the output lends that space: one copy of the packet
        // per subscriber instead of two. A repair is wrapped as RTX elsewhere, so it is built in scratch.
        let reserved = retransmission ? nil : output.reserve(scratch.count)
        let buffer = reserved ?? scratch
        guard var length = try? consumer.extensionMapping.rewrite(
            plain, header: header, into: buffer, transportSequenceNumber: transportSequence, absoluteSendTime: sendTime),
            length <= Self.maximumMediaPacket + 32
        else { return counters.drop(.malformedRTP) }
        if let vp8 {
            // The payload is copied unchanged after the rewritten header: its descriptor is where it was.
            let payloadStart = length - (plain.count - header.payloadRange.lowerBound)
            guard payloadStart >= 0 else { return counters.drop(.malformedRTP) }
            vp8.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[payloadStart..<length]))
        }
        var payloadType = consumer.media.payloadType
        // Only audio has RED; video skips the weak load of the source.
        if consumer.kind == .audio, let source = consumer.source, header.payloadType == source.media.redPayloadType {
            // RED goes on as RED to a subscriber that speaks it with the same Opus numbering; anyone else
            // gets the primary encoding alone.
            if let red = consumer.media.redPayloadType, source.media.payloadType == consumer.media.payloadType {
                payloadType = red
            } else {
                guard let primary = try? RedundantAudio.extractPrimary(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])),
                    primary.payloadType == source.media.payloadType
                else { return counters.drop(.malformedRTP) }
                length = primary.length
            }
        }
        let out = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
        guard let rewriter = RTPPacketRewriter(out) else { return }
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
            return sendMedia(
                UnsafeRawBufferPointer(rebasing: rtxScratch[0..<protected]), to: subscriber, remote: remote,
                transportSequence: transportSequence, now: now, output: &output)
        }
        guard let protected = try? outbound.protectRTP(buffer, length: length) else { return }
        if RTPSequenceNumber.isNewer(sequenceNumber, than: consumer.lastSequenceNumber) || consumer.packetsSent == 0 {
            consumer.lastSequenceNumber = sequenceNumber
            consumer.lastTimestamp = timestamp
            consumer.lastSentNanoseconds = clock.nanoseconds(since: now)
        }
        consumer.packetsSent &+= 1
        consumer.octetsSent &+= UInt32(truncatingIfNeeded: header.payloadRange.count)
        if !retransmission { consumer.mediaBytesSent &+= UInt64(protected) }
        subscriber.statistics.packetsOut &+= 1
        subscriber.statistics.bytesOut &+= UInt64(protected)
        counters.rtpForwarded &+= 1
        if !subscriber.hasMedia { noteFirstMedia(of: subscriber, now: now) }
        sendMedia(
            UnsafeRawBufferPointer(rebasing: buffer[0..<protected]), to: subscriber, remote: remote,
            transportSequence: transportSequence, now: now, reserved: reserved != nil, output: &output)
    }
}

/// New picture numbers for a forwarded VP8 packet, written into its copy in place.
struct VP8Rewrite {
    let payload: VP8RTPPayload
    let pictureID: UInt16?
    let tl0: UInt8?

    init(payload: VP8RTPPayload, pictureID: UInt16?, tl0: UInt8?) {
        self.payload = payload
        self.pictureID = pictureID
        self.tl0 = tl0
    }

    /// A NACKed packet gets the picture numbers it was first sent with.
    init?(resending packet: UnsafeRawBufferPointer, header: RTPHeader, as entry: SentPacketIndex.Entry) {
        guard let payload = try? VP8RTPPayload(parsing: UnsafeRawBufferPointer(rebasing: packet[header.payloadRange]))
        else { return nil }
        self.init(
            payload: payload, pictureID: payload.descriptor.pictureID.map { ($0.value &+ entry.pictureIDDelta) & 0x7FFF },
            tl0: payload.descriptor.tl0PicIdx.map { $0 &+ entry.tl0Delta })
    }

    func apply(to copy: UnsafeMutableRawBufferPointer) {
        if let pictureID, pictureID != payload.descriptor.pictureID?.value {
            try? payload.rewritePictureID(pictureID, in: copy)
        }
        if let tl0, tl0 != payload.descriptor.tl0PicIdx { try? payload.rewriteTL0PicIdx(tl0, in: copy) }
    }
}

extension RelayEngine {
    /// The first media packet to or from a participant ends its join (`JoinTimes`); off the per-packet path.
    @inline(never)
    func noteFirstMedia(of participant: Participant, now: ContinuousClock.Instant) {
        participant.firstMediaAt = now
        participant.hasMedia = true
        guard !participant.isRelayed else { return }
        counters.joinTimes.recordFirstMedia(after: now - participant.joinedAt)
        joinTimelines.append(JoinTimeline(
            identity: participant.identity, joined: participant.joinedAt,
            iceChecked: participant.transport.firstCheckAt, connected: participant.connectedAt, firstMedia: now,
            endedAt: nil, endReason: nil))
    }
}
