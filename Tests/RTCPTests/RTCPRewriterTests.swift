import Testing
@testable import RTCP

@Suite struct RTCPRewriterTests {
    /// A relay re-addresses feedback from one leg to the other inside a compound, in place.
    @Test func rewritesFeedbackInsideCompound() throws {
        var datagram = try ReceiverReport.build(ssrc: 0xAAAA, reportBlocks: [ReportBlock(ssrc: 0xBBBB)])
        datagram += try GenericNack.build(senderSSRC: 0xAAAA, mediaSSRC: 0xBBBB, lostSequenceNumbers: [1, 2, 3])
        datagram += PictureLossIndication(senderSSRC: 0xAAAA, mediaSSRC: 0xBBBB).build()
        let layout = try packetLayout(datagram)

        try datagram.withUnsafeMutableBytes { buffer in
            for (type, range) in layout {
                let packet = UnsafeMutableRawBufferPointer(rebasing: buffer[range])
                try RTCPRewriter.setSenderSSRC(0x1111, in: packet)
                if type != .receiverReport { try RTCPRewriter.setMediaSSRC(0x2222, in: packet) }
            }
        }
        try datagram.withUnsafeBytes { buffer in
            let views = try RTCPCompoundPacket(validating: buffer).map(\.view)
            try #require(views.count == 3)
            guard case .receiverReport(let rr) = views[0], case .genericNack(let nack) = views[1],
                  case .pictureLossIndication(let pli) = views[2]
            else {
                Issue.record("unexpected views \(views)")
                return
            }
            #expect(rr.ssrc == 0x1111)
            #expect(rr.reportBlocks.first?.ssrc == 0xBBBB)  // report blocks untouched
            #expect(nack.senderSSRC == 0x1111 && nack.mediaSSRC == 0x2222)
            #expect(Array(nack.lostSequenceNumbers) == [1, 2, 3])
            #expect(pli == PictureLossIndication(senderSSRC: 0x1111, mediaSSRC: 0x2222))
        }
    }

    @Test func rewritesFCITargets() throws {
        var fir = try FullIntraRequest.build(senderSSRC: 1, entries: [.init(ssrc: 5, sequenceNumber: 3), .init(ssrc: 6, sequenceNumber: 4)])
        var remb = try ReceiverEstimatedMaxBitrate.build(senderSSRC: 1, bitrate: 500_000, ssrcs: [7, 8])
        try fir.withUnsafeMutableBytes { try RTCPRewriter.setFullIntraRequestSSRC(50, entry: 1, in: $0) }
        try remb.withUnsafeMutableBytes { try RTCPRewriter.setEstimateSSRC(70, at: 0, in: $0) }
        let entries = try fir.withUnsafeBytes { Array(try FullIntraRequest(parsing: $0).entries) }
        #expect(entries == [.init(ssrc: 5, sequenceNumber: 3), .init(ssrc: 50, sequenceNumber: 4)])
        try remb.withUnsafeBytes { buffer in
            let parsed = try ReceiverEstimatedMaxBitrate(parsing: buffer)
            #expect(Array(parsed.ssrcs) == [70, 8])
            #expect(parsed.bitrate == 500_000)
        }
        #expect(throws: RTCPError.valueOutOfRange) {
            try fir.withUnsafeMutableBytes { try RTCPRewriter.setFullIntraRequestSSRC(1, entry: 2, in: $0) }
        }
    }

    @Test func rejectsPacketsWithoutThoseFields() throws {
        var sdes = try SourceDescription.build(ssrc: 1, cname: "x")
        #expect(throws: RTCPError.unexpectedPacketType) {
            try sdes.withUnsafeMutableBytes { try RTCPRewriter.setSenderSSRC(2, in: $0) }
        }
        var rr = try ReceiverReport.build(ssrc: 1)
        #expect(throws: RTCPError.unexpectedPacketType) {
            try rr.withUnsafeMutableBytes { try RTCPRewriter.setMediaSSRC(2, in: $0) }
        }
        var sr = try SenderReport.build(
            ssrc: 1, senderInfo: SenderInfo(ntpTimestamp: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0))
        #expect(throws: RTCPError.unexpectedPacketType) {
            try sr.withUnsafeMutableBytes { try RTCPRewriter.setMediaSSRC(2, in: $0) }
        }
        // A feedback header claiming no SSRC words must not be written past.
        var stub = hex("81cd0000")
        #expect(throws: RTCPError.malformedBody) {
            try stub.withUnsafeMutableBytes { try RTCPRewriter.setSenderSSRC(2, in: $0) }
        }
        #expect(stub == hex("81cd0000"))
    }
}
