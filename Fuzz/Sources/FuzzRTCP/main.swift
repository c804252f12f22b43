import FuzzSupport
import RTCP

// Compound RTCP as the relay receives it: validate, then visit every packet and every field of
// every item (report blocks, SDES chunks and items, BYE sources and reason, NACK pairs and lost
// sequence numbers, transport-cc reports, FIR entries, REMB SSRCs). Decoded values are fed back
// through the builders the relay uses to answer, and the in-place SSRC rewriters run on a copy.

@inline(never)
func visit(_ block: ReportBlock) -> UInt64 {
    UInt64(block.ssrc) &+ UInt64(block.fractionLost) &+ UInt64(UInt32(bitPattern: block.cumulativeLost))
        &+ UInt64(block.extendedHighestSequenceNumber) &+ UInt64(block.jitter) &+ UInt64(block.lastSenderReport)
        &+ UInt64(block.delaySinceLastSenderReport)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var datagram = Array(UnsafeRawBufferPointer(start: data, count: size))
    var sum: UInt64 = 0
    var rewrites: [(range: Range<Int>, kind: Int, count: Int)] = []
    var valid = false
    datagram.withUnsafeBytes { bytes in
        guard let compound = try? RTCPCompoundPacket(validating: bytes) else {
            consume(try? RTCPHeader(parsing: bytes))
            return
        }
        valid = true
        for packet in compound {
            precondition(packet.range.upperBound <= bytes.count)
            sum &+= UInt64(packet.body.count)
            switch packet.view {
            case .senderReport(let report):
                sum &+= UInt64(report.ssrc) &+ report.senderInfo.ntpTimestamp &+ UInt64(report.senderInfo.compactNTP)
                let blocks = Array(report.reportBlocks)
                for block in blocks { sum &+= visit(block) }
                consume(try? SenderReport.build(ssrc: report.ssrc, senderInfo: report.senderInfo, reportBlocks: blocks))
                sum &+= UInt64(report.profileExtension.count)
                rewrites.append((packet.range, 0, 0))
            case .receiverReport(let report):
                let blocks = Array(report.reportBlocks)
                for block in blocks { sum &+= visit(block) }
                consume(try? ReceiverReport.build(ssrc: report.ssrc, reportBlocks: blocks))
                rewrites.append((packet.range, 0, 0))
            case .sourceDescription(let sdes):
                var chunks: [SourceDescription.Chunk] = []
                for chunk in sdes.chunks {
                    sum &+= UInt64(chunk.ssrc) &+ UInt64(chunk.cname?.count ?? 0)
                    for item in chunk.items { sum &+= UInt64(item.type.rawValue) &+ UInt64(item.value.count) }
                    chunks.append(SourceDescription.Chunk(chunk))
                }
                consume(try? SourceDescription.build(chunks: chunks))
            case .goodbye(let bye):
                for ssrc in bye.sources { sum &+= UInt64(ssrc) }
                sum &+= UInt64(bye.reason?.count ?? 0)
            case .genericNack(let nack):
                sum &+= UInt64(nack.senderSSRC) &+ UInt64(nack.mediaSSRC)
                var pairs: [NackPair] = []
                for pair in nack.pairs {
                    pairs.append(pair)
                    for lost in pair.lostSequenceNumbers { sum &+= UInt64(lost) }
                }
                var lost: [UInt16] = []
                for sequenceNumber in nack.lostSequenceNumbers { lost.append(sequenceNumber) }
                precondition(lost.count >= pairs.count)
                consume(try? GenericNack.build(senderSSRC: nack.senderSSRC, mediaSSRC: nack.mediaSSRC, pairs: pairs))
                consume(Array(NackPair.packing(lost.sorted())))
                rewrites.append((packet.range, 1, 0))
            case .transportWideFeedback(let feedback):
                sum &+= UInt64(feedback.baseSequenceNumber) &+ UInt64(feedback.packetStatusCount)
                sum &+= UInt64(bitPattern: feedback.referenceTimeMicroseconds) &+ UInt64(feedback.feedbackPacketCount)
                var arrivals: [TransportWideFeedback.Arrival] = []
                var time = feedback.referenceTimeMicroseconds
                var reports = 0
                for report in feedback.packets {
                    reports += 1
                    sum &+= UInt64(report.sequenceNumber) &+ UInt64(report.status.rawValue)
                    if let delta = report.receiveDelta {
                        time &+= Int64(delta)
                        arrivals.append(.init(sequenceNumber: report.sequenceNumber, time: time))
                    } else {
                        arrivals.append(.init(sequenceNumber: report.sequenceNumber, time: nil))
                    }
                }
                precondition(reports <= Int(feedback.packetStatusCount))
                consume(
                    try? TransportWideFeedback.build(
                        senderSSRC: feedback.senderSSRC, mediaSSRC: feedback.mediaSSRC,
                        feedbackPacketCount: feedback.feedbackPacketCount, arrivals: arrivals))
                rewrites.append((packet.range, 1, 0))
            case .pictureLossIndication(let pli):
                sum &+= UInt64(pli.senderSSRC) &+ UInt64(pli.mediaSSRC)
                consume(pli.build())
                rewrites.append((packet.range, 1, 0))
            case .fullIntraRequest(let fir):
                for entry in fir.entries { sum &+= UInt64(entry.ssrc) &+ UInt64(entry.sequenceNumber) }
                consume(try? FullIntraRequest.build(senderSSRC: fir.senderSSRC, entries: Array(fir.entries)))
                rewrites.append((packet.range, 2, fir.entries.count))
            case .receiverEstimatedMaxBitrate(let remb):
                sum &+= remb.bitrate &+ UInt64(ReceiverEstimatedMaxBitrate.encodeBitrate(remb.bitrate))
                for ssrc in remb.ssrcs { sum &+= UInt64(ssrc) }
                consume(
                    try? ReceiverEstimatedMaxBitrate.build(
                        senderSSRC: remb.senderSSRC, bitrate: remb.bitrate, ssrcs: Array(remb.ssrcs)))
                rewrites.append((packet.range, 3, remb.ssrcs.count))
            case .unknown, .malformed:
                break
            }
        }
    }
    consume(sum)
    // The relay re-addresses feedback in place between legs; lengths never change.
    datagram.withUnsafeMutableBytes { buffer in
        for (range, kind, count) in rewrites {
            let packet = UnsafeMutableRawBufferPointer(rebasing: buffer[range])
            try? RTCPRewriter.setSenderSSRC(0x1234_5678, in: packet)
            switch kind {
            case 1: try? RTCPRewriter.setMediaSSRC(0x9ABC_DEF0, in: packet)
            case 2: for index in 0...count { try? RTCPRewriter.setFullIntraRequestSSRC(7, entry: index, in: packet) }
            case 3: for index in 0...count { try? RTCPRewriter.setEstimateSSRC(9, at: index, in: packet) }
            default: break
            }
        }
        if valid { precondition((try? RTCPCompoundPacket(validating: UnsafeRawBufferPointer(buffer))) != nil) }
    }
    return 0
}

runFuzzer(fuzz)
