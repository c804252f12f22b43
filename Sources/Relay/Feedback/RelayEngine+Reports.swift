import RTCP
import SRTP

/// Periodic RTCP the relay originates (RFC 3550 §6.4): receiver reports and REMB to a publisher about its
/// producers, sender reports to a subscriber about its consumers.
extension RelayEngine {
    func sendReports(to participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard let outbound = participant.transport.outbound, let remote = participant.transport.remote else { return }
        var length = 0
        let blocks = participant.producers.compactMap { producer -> ReportBlock? in
            guard let ssrc = producer.ssrc, let highest = producer.statistics.highestSequence else { return nil }
            var lsr: UInt32 = 0
            var dlsr: UInt32 = 0
            if let sr = producer.lastSenderReport {
                lsr = sr.ntpMiddle
                dlsr = UInt32(truncatingIfNeeded: Int64(Participant.seconds(now - sr.arrival) * 65_536))
            }
            return ReportBlock(
                ssrc: ssrc, fractionLost: producer.statistics.takeFractionLost(),
                cumulativeLost: Int32(clamping: producer.statistics.cumulativeLost),
                extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: highest),
                jitter: UInt32(clamping: Int(producer.statistics.jitter)), lastSenderReport: lsr,
                delaySinceLastSenderReport: dlsr)
        }
        if !participant.producers.isEmpty {
            guard let written = try? ReceiverReport.write(
                ssrc: participant.relaySSRC, reportBlocks: blocks, into: scratch)
            else { return }
            length += written
            let video = participant.producers.compactMap { $0.kind == .video ? $0.ssrc : nil }
            if !video.isEmpty, let remb = try? ReceiverEstimatedMaxBitrate.write(
                senderSSRC: participant.relaySSRC, bitrate: configuration.maximumVideoBitrate, ssrcs: video,
                into: UnsafeMutableRawBufferPointer(rebasing: scratch[length...]))
            {
                length += remb
            }
        }
        let ntp = clock.ntp(now)
        for consumer in participant.consumers where consumer.packetsSent > 0 {
            var rtpTimestamp = consumer.lastTimestamp
            if let sentAt = consumer.lastSentAt {
                rtpTimestamp &+= UInt32(
                    truncatingIfNeeded: Int64(Participant.seconds(now - sentAt) * Double(consumer.media.clockRate)))
            }
            guard length + 28 + 16 < scratch.count,
                let written = try? SenderReport.write(
                    ssrc: consumer.media.localSSRC,
                    senderInfo: SenderInfo(
                        ntpTimestamp: ntp, rtpTimestamp: rtpTimestamp, packetCount: consumer.packetsSent,
                        octetCount: consumer.octetsSent),
                    reportBlocks: [ReportBlock](), into: UnsafeMutableRawBufferPointer(rebasing: scratch[length...]))
            else { break }
            length += written
        }
        guard length > 0, let protected = try? outbound.protectRTCP(scratch, length: length) else { return }
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }
}
