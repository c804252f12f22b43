import Congestion
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
            // REMB only for video without transport-cc (whose own estimator then drives the sender), and
            // computed from what arrived since the last report, never a constant.
            let video = participant.producers.compactMap {
                $0.kind == .video && $0.media.extensions.transportWideSequence == nil ? $0.ssrc : nil
            }
            if !video.isEmpty, let bitrate = receiveSideEstimate(of: participant, blocks: blocks, now: now),
                let remb = try? ReceiverEstimatedMaxBitrate.write(
                    senderSSRC: participant.relaySSRC, bitrate: bitrate, ssrcs: video,
                    into: UnsafeMutableRawBufferPointer(rebasing: scratch[length...]))
            {
                length += remb
            }
        }
        let ntp = clock.ntp(now)
        for consumer in participant.consumers where consumer.packetsSent > 0 {
            var rtpTimestamp = consumer.lastTimestamp
            if let sentAt = consumer.lastSentNanoseconds {
                let elapsed = min(max(clock.nanoseconds(since: now) &- sentAt, 0), 86_400_000_000_000)
                rtpTimestamp &+= UInt32(truncatingIfNeeded: Int64(Double(elapsed) * Double(consumer.media.clockRate) / 1e9))
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

    /// The REMB for a publisher without transport-cc: its received bitrate since the last report and the
    /// worst loss its report blocks show, through `ReceiveSideRateController`.
    private func receiveSideEstimate(of participant: Participant, blocks: [ReportBlock], now: ContinuousClock.Instant)
        -> UInt64?
    {
        let bytes = participant.statistics.bytesIn
        defer { participant.lastReceiveSample = (bytes, now) }
        guard let last = participant.lastReceiveSample, now > last.at else { return participant.receiveRate?.bitrate ?? nil }
        let elapsed = now - last.at
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        guard nanoseconds > 0 else { return participant.receiveRate?.bitrate ?? nil }
        let received = (bytes &- last.bytes).multipliedReportingOverflow(by: 8 * 1_000_000_000)
        let bitsPerSecond = received.overflow ? UInt64.max : received.partialValue / UInt64(nanoseconds)
        let loss = Double(blocks.map(\.fractionLost).max() ?? 0) / 256
        if participant.receiveRate == nil {
            participant.receiveRate = ReceiveSideRateController(minimum: 50_000, maximum: configuration.maximumVideoBitrate)
        }
        return participant.receiveRate?.update(received: bitsPerSecond, lossFraction: loss, elapsed: nanoseconds)
    }
}
