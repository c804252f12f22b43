import Testing
@testable import RTCP

@Suite struct ReportTests {
    static let blocks = [
        ReportBlock(
            ssrc: 0xDEAD_BEEF, fractionLost: 0x40, cumulativeLost: 0x12_3456,
            extendedHighestSequenceNumber: 0x0002_FFFF, jitter: 1234, lastSenderReport: 0xAABB_CCDD,
            delaySinceLastSenderReport: 0x0000_8000),
        ReportBlock(ssrc: 2, fractionLost: 0, cumulativeLost: -0x80_0000),
    ]

    @Test func senderReportLayoutMatchesRFC3550() throws {
        let info = SenderInfo(ntpTimestamp: 0x0102_0304_0506_0708, rtpTimestamp: 9, packetCount: 10, octetCount: 11)
        let bytes = try SenderReport.build(ssrc: 0xCAFE_BABE, senderInfo: info, reportBlocks: Self.blocks)
        // RFC 3550 §6.4.1: header (RC = 2, length = 6 + 2·6 words), SSRC, 20 bytes sender info, blocks.
        #expect(bytes == hex("""
            82c80012 cafebabe
            01020304 05060708 00000009 0000000a 0000000b
            deadbeef 40123456 0002ffff 000004d2 aabbccdd 00008000
            00000002 00800000 00000000 00000000 00000000 00000000
            """))
        try bytes.withUnsafeBytes { buffer in
            let sr = try SenderReport(parsing: buffer)
            #expect(sr.ssrc == 0xCAFE_BABE)
            #expect(sr.senderInfo == info)
            #expect(Array(sr.reportBlocks) == Self.blocks)
            let rebuilt = try SenderReport.build(ssrc: sr.ssrc, senderInfo: sr.senderInfo, reportBlocks: sr.reportBlocks)
            #expect(rebuilt == bytes)
        }
    }

    @Test func receiverReportRoundTrip() throws {
        let bytes = try ReceiverReport.build(ssrc: 77, reportBlocks: Self.blocks)
        #expect(bytes.count == ReceiverReport.encodedLength(reportBlockCount: 2))
        #expect(Array(bytes.prefix(4)) == [0x82, 201, 0, 13])
        try bytes.withUnsafeBytes { buffer in
            let rr = try ReceiverReport(parsing: buffer)
            #expect(rr.ssrc == 77)
            #expect(rr.reportBlocks.count == 2)
            #expect(rr.reportBlocks[1].cumulativeLost == -0x80_0000)
            #expect(try ReceiverReport.build(ssrc: rr.ssrc, reportBlocks: rr.reportBlocks) == bytes)
        }
    }

    @Test func emptyReceiverReport() throws {
        // RFC 3550 §6.1: an empty RR heads a compound when there is nothing to report.
        let bytes = try ReceiverReport.build(ssrc: 0x0102_0304)
        #expect(bytes == hex("80c90001 01020304"))
    }

    @Test func cumulativeLostSaturatesAtSigned24Bits() throws {
        let blocks = [ReportBlock(ssrc: 1, cumulativeLost: 10_000_000), ReportBlock(ssrc: 2, cumulativeLost: -9_000_000)]
        let bytes = try ReceiverReport.build(ssrc: 1, reportBlocks: blocks)
        try bytes.withUnsafeBytes { buffer in
            let rr = try ReceiverReport(parsing: buffer)
            #expect(rr.reportBlocks.map(\.cumulativeLost) == [0x7F_FFFF, -0x80_0000])
        }
    }

    @Test func profileExtensionIsExposed() throws {
        var bytes = try ReceiverReport.build(ssrc: 5, reportBlocks: [ReportBlock(ssrc: 6)])
        bytes += [1, 2, 3, 4]
        bytes[3] += 1
        try bytes.withUnsafeBytes { buffer in
            let rr = try ReceiverReport(parsing: buffer)
            #expect(Array(rr.profileExtension) == [1, 2, 3, 4])
            #expect(rr.reportBlocks.count == 1)
        }
    }

    @Test func writerRejectsTooManyBlocksAndSmallBuffers() throws {
        let many = (0..<32).map { ReportBlock(ssrc: UInt32($0)) }
        #expect(throws: RTCPError.valueOutOfRange) { try ReceiverReport.build(ssrc: 1, reportBlocks: many) }
        var small = [UInt8](repeating: 0, count: 31)
        #expect(throws: RTCPError.bufferTooSmall(needed: 32)) {
            try small.withUnsafeMutableBytes { buffer in
                _ = try ReceiverReport.write(ssrc: 1, reportBlocks: [ReportBlock(ssrc: 2)], into: buffer)
            }
        }
    }

    @Test func parserChecksTypeAndCount() {
        let rr = (try? ReceiverReport.build(ssrc: 1)) ?? []
        #expect(throws: RTCPError.unexpectedPacketType) {
            try rr.withUnsafeBytes { _ = try SenderReport(parsing: $0) }
        }
        // RC says 1 block, body has none.
        let lying = hex("81c90001 00000001")
        #expect(throws: RTCPError.malformedBody) {
            try lying.withUnsafeBytes { _ = try ReceiverReport(parsing: $0) }
        }
    }

    @Test func randomReportBlocksRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<200 {
            let blocks = (0..<Int.random(in: 0...31, using: &rng)).map { _ in
                ReportBlock(
                    ssrc: .random(in: .min ... .max, using: &rng), fractionLost: .random(in: 0...255, using: &rng),
                    cumulativeLost: .random(in: ReportBlock.cumulativeLostRange, using: &rng),
                    extendedHighestSequenceNumber: .random(in: .min ... .max, using: &rng),
                    jitter: .random(in: .min ... .max, using: &rng),
                    lastSenderReport: .random(in: .min ... .max, using: &rng),
                    delaySinceLastSenderReport: .random(in: .min ... .max, using: &rng))
            }
            let info = SenderInfo(
                ntpTimestamp: .random(in: .min ... .max, using: &rng), rtpTimestamp: .random(in: .min ... .max, using: &rng),
                packetCount: .random(in: .min ... .max, using: &rng), octetCount: .random(in: .min ... .max, using: &rng))
            let bytes = try SenderReport.build(ssrc: 9, senderInfo: info, reportBlocks: blocks)
            try bytes.withUnsafeBytes { buffer in
                let sr = try SenderReport(parsing: buffer)
                #expect(Array(sr.reportBlocks) == blocks)
                #expect(sr.senderInfo == info)
            }
        }
    }
}
