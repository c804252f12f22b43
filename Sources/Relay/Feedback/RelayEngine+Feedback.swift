import RTCP
import RTP
import SRTP

/// RTCP is terminated per consumer (RFC 7667 §3.7): reports feed round-trip times and statistics, a PLI
/// or FIR becomes a throttled keyframe request to the publisher, a NACK is answered from the producer's
/// history.
extension RelayEngine {
    func handleRTCP(
        _ packet: UnsafeMutableRawBufferPointer, from participant: Participant, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let inbound = participant.transport.inbound else { return counters.drop(.notConnected) }
        guard packet.count >= 8 else { return counters.drop(.malformedRTCP) }
        let sender = Self.readUInt32(packet, at: 4)
        guard participant.mayReport(from: sender, limit: configuration.limits.rtcpSendersPerParticipant) else {
            return counters.drop(.unknownSSRC)
        }
        let length: Int
        do {
            length = try inbound.unprotectRTCP(packet, length: packet.count)
        } catch {
            return counters.drop(error == .replayed ? .srtpReplay : .srtpAuthentication)
        }
        if !participant.transport.peerIsKeyed { notePeerKeyed(participant) }
        participant.recordReporter(sender)
        participant.statistics.packetsIn &+= 1
        participant.statistics.bytesIn &+= UInt64(packet.count)
        guard let compound = try? RTCPCompoundPacket(validating: UnsafeRawBufferPointer(rebasing: packet[0..<length]))
        else { return counters.drop(.malformedRTCP) }
        for item in compound {
            switch item.view {
            case .senderReport(let report):
                for producer in participant.producers where producer.ssrc == report.ssrc {
                    producer.lastSenderReport = (UInt32(truncatingIfNeeded: report.senderInfo.ntpTimestamp >> 16), now)
                }
            case .receiverReport(let report):
                for block in report.reportBlocks {
                    guard let consumer = participant.consumer(localSSRC: block.ssrc) else { continue }
                    consumer.reportedFractionLost = block.fractionLost
                    consumer.hasReport = true
                    consumer.reportedJitter = block.jitter
                    if block.lastSenderReport != 0 {
                        consumer.roundTripTime = clock.roundTrip(
                            lastSenderReport: block.lastSenderReport, delay: block.delaySinceLastSenderReport, now: now)
                        consumer.keepHistoryForRoundTrip()
                    }
                }
            case .pictureLossIndication(let pli):
                if let source = participant.consumer(localSSRC: pli.mediaSSRC)?.forwardedLayer {
                    requestKeyframe(source, now: now, output: &output)
                }
            case .fullIntraRequest(let fir):
                for entry in fir.entries {
                    if let source = participant.consumer(localSSRC: entry.ssrc)?.forwardedLayer {
                        requestKeyframe(source, now: now, output: &output)
                    }
                }
            case .transportWideFeedback(let feedback):
                handleTransportFeedback(feedback, from: participant, now: now)
            case .genericNack(let nack):
                guard let consumer = participant.consumer(localSSRC: nack.mediaSSRC) else { continue }
                answer(nack, on: consumer, now: now, output: &output)
            case .malformed:
                counters.drop(.malformedRTCP)
            default:
                break
            }
        }
    }

    /// Resends what a subscriber NACKed from the producer's history, as the consumer's `NackResponder`
    /// allows. Stops at the first packet over budget: the rest of the NACK costs nothing.
    private func answer(
        _ nack: GenericNack, on consumer: Consumer, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) {
        guard consumer.nack != nil, let source = consumer.source, source.history != nil else {
            return counters.refuse(.notNegotiated)
        }
        let window = consumer.roundTripTime.map { min(max($0, .milliseconds(20)), .milliseconds(500)) }
            ?? configuration.limits.retransmissionWindow
        let windowNanoseconds = window.components.seconds * 1_000_000_000 + window.components.attoseconds / 1_000_000_000
        let elapsed = clock.nanoseconds(since: now)
        for pair in nack.pairs {
            for lost in pair.lostSequenceNumbers {
                // The consumer remembers which layer and source packet each number carried (skips and
                // switches move the numbering).
                guard let entry = consumer.sent?.lookup(sent: lost),
                    let stored = source.layer(entry.layer)?.history?.packet(sequenceNumber: entry.source),
                    let header = try? RTPHeader(parsing: stored)
                else {
                    counters.refuse(.notBuffered)
                    continue
                }
                let verdict = consumer.nack?.admit(
                    sequenceNumber: lost, bytes: stored.count, now: elapsed, window: windowNanoseconds,
                    mediaBytesSent: consumer.mediaBytesSent)
                switch verdict {
                case .resend?:
                    counters.retransmissions &+= 1
                    forward(
                        stored, header: header, to: consumer, sequenceNumber: lost,
                        vp8: consumer.layers == nil ? nil : VP8Rewrite(resending: stored, header: header, as: entry), now: now,
                        retransmission: true,
                        output: &output)
                case .duplicate?:
                    counters.refuse(.duplicate)
                case .overBudget?, nil:
                    counters.refuse(.overBudget)
                    return
                }
            }
        }
    }

    /// A keyframe request from an API call, which has no output: it goes at the next `handleTimeout`.
    func requestKeyframeSoon(_ producer: Producer, now: ContinuousClock.Instant) {
        guard producer.kind == .video else { return }
        producer.keyFrames.postpone(now: now)
        schedule(producer.publisher)
    }

    /// Asks the publisher for a keyframe, at most once per interval however many subscribers ask; a
    /// request inside the interval is remembered and sent when it ends.
    func requestKeyframe(_ producer: Producer, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard producer.kind == .video else { return }
        let publisher = producer.publisher
        guard producer.keyFrames.request(now: now, interval: configuration.keyframeRequestInterval) == .send else {
            return schedule(publisher)
        }
        guard let ssrc = producer.ssrc, let outbound = publisher.transport.outbound,
            let remote = publisher.transport.remote
        else { return producer.keyFrames.postpone(now: now) }
        producer.keyFrames.sent(now: now)
        guard let length = try? PictureLossIndication(senderSSRC: publisher.relaySSRC, mediaSSRC: ssrc).write(into: scratch),
            let protected = try? outbound.protectRTCP(scratch, length: length)
        else { return }
        counters.keyframeRequests &+= 1
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }
}
