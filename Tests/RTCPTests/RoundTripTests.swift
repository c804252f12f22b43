import Testing
@testable import RTCP

/// build → parse (through the compound iterator) → build again must be byte-identical for every
/// packet type the module writes.
@Suite struct RoundTripTests {
    /// Re-encodes a parsed view with the matching writer.
    static func rebuild(_ view: RTCPPacketView) throws -> [UInt8]? {
        switch view {
        case .senderReport(let sr):
            return try SenderReport.build(ssrc: sr.ssrc, senderInfo: sr.senderInfo, reportBlocks: sr.reportBlocks)
        case .receiverReport(let rr):
            return try ReceiverReport.build(ssrc: rr.ssrc, reportBlocks: rr.reportBlocks)
        case .sourceDescription(let sdes):
            return try SourceDescription.build(chunks: sdes.chunks.map(SourceDescription.Chunk.init))
        case .goodbye(let bye):
            return try Goodbye.build(sources: bye.sources, reason: bye.reason.map { Array($0) } ?? [])
        case .genericNack(let nack):
            return try GenericNack.build(senderSSRC: nack.senderSSRC, mediaSSRC: nack.mediaSSRC, pairs: nack.pairs)
        case .transportWideFeedback(let twcc):
            var time = twcc.referenceTimeMicroseconds
            let arrivals = twcc.packets.map { report -> TransportWideFeedback.Arrival in
                guard let delta = report.receiveDelta else { return .init(sequenceNumber: report.sequenceNumber, time: nil) }
                time += Int64(delta)
                return .init(sequenceNumber: report.sequenceNumber, time: time)
            }
            return try TransportWideFeedback.build(
                senderSSRC: twcc.senderSSRC, mediaSSRC: twcc.mediaSSRC, feedbackPacketCount: twcc.feedbackPacketCount,
                arrivals: arrivals, referenceTime: twcc.referenceTime)
        case .pictureLossIndication(let pli):
            return pli.build()
        case .fullIntraRequest(let fir):
            return try FullIntraRequest.build(senderSSRC: fir.senderSSRC, mediaSSRC: fir.mediaSSRC, entries: fir.entries)
        case .receiverEstimatedMaxBitrate(let remb):
            return try ReceiverEstimatedMaxBitrate.build(senderSSRC: remb.senderSSRC, bitrate: remb.bitrate, ssrcs: remb.ssrcs)
        case .unknown, .malformed:
            return nil
        }
    }

    @Test(arguments: 0..<9)
    func everyTypeRoundTripsByteIdentical(index: Int) throws {
        let original = try RobustnessTests.validPackets()[index]
        let rebuilt = try original.withUnsafeBytes { buffer in
            let packet = try #require(Array(try RTCPCompoundPacket(validating: buffer)).first)
            return try Self.rebuild(packet.view)
        }
        #expect(rebuilt == original)
    }

    @Test func wholeCompoundRoundTrips() throws {
        let original = try RobustnessTests.validPackets().reduce([], +)
        let rebuilt = try original.withUnsafeBytes { buffer in
            try RTCPCompoundPacket(validating: buffer).map { try #require(try Self.rebuild($0.view)) }.reduce([], +)
        }
        #expect(rebuilt == original)
    }
}
