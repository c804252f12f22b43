import Testing
@testable import RTCP

@Suite struct CompoundPacketTests {
    /// Chromium-style SR + SDES: SR without report blocks, SDES with a 16-character CNAME
    /// (SSRC + 2 + 16 + null = 23 bytes, padded to 24, so length = 6).
    static let chromiumSRSDES = hex("""
        80c80006 1a2b3c4d
        e9a1b2c3 d4e5f607 12345678 000003e8 0001d4c0
        81ca0006 1a2b3c4d 0110 72 5a 38 2b 54 69 32 6e 73 36 59 2f 39 48 71 75 0000
        """)

    @Test func chromiumSenderReportAndSourceDescription() throws {
        try Self.chromiumSRSDES.withUnsafeBytes { buffer in
            let compound = try RTCPCompoundPacket(validating: buffer)
            let packets = Array(compound)
            try #require(packets.count == 2)

            let first = packets[0]
            #expect(first.header.packetType == .senderReport)
            #expect(first.header.count == 0)
            #expect(first.header.length == 6)
            #expect(first.range == 0..<28)
            guard case .senderReport(let sr) = first.view else {
                Issue.record("expected SR, got \(first.view)")
                return
            }
            #expect(sr.ssrc == 0x1A2B_3C4D)
            #expect(sr.senderInfo.ntpTimestamp == 0xE9A1_B2C3_D4E5_F607)
            #expect(sr.senderInfo.compactNTP == 0xB2C3_D4E5)
            #expect(sr.senderInfo.rtpTimestamp == 0x1234_5678)
            #expect(sr.senderInfo.packetCount == 1000)
            #expect(sr.senderInfo.octetCount == 120_000)
            #expect(sr.reportBlocks.isEmpty)

            let second = packets[1]
            #expect(second.range == 28..<56)
            guard case .sourceDescription(let sdes) = second.view else {
                Issue.record("expected SDES, got \(second.view)")
                return
            }
            let chunks = Array(sdes.chunks)
            #expect(chunks.count == 1)
            #expect(chunks.first?.ssrc == 0x1A2B_3C4D)
            #expect(ascii(chunks.first?.cname) == "rZ8+Ti2ns6Y/9Hqu")
        }
    }

    /// RR with one report block followed by a REMB, as a receiver-only browser sends them.
    static let receiverReportAndREMB = hex("""
        81c90007 00000001
        9c4d1f2e 0a fffffe 0001a2b3 00000021 b2c3d4e5 00014000
        8fce0005 00000001 00000000 52454d42 01 1a20df 9c4d1f2e
        """)

    @Test func receiverReportAndREMB() throws {
        try Self.receiverReportAndREMB.withUnsafeBytes { buffer in
            let packets = Array(try RTCPCompoundPacket(validating: buffer))
            try #require(packets.count == 2)
            guard case .receiverReport(let rr) = packets[0].view else {
                Issue.record("expected RR")
                return
            }
            #expect(rr.ssrc == 1)
            let block = try #require(rr.reportBlocks.first)
            #expect(block.ssrc == 0x9C4D_1F2E)
            #expect(block.fractionLost == 10)  // 10/256 ≈ 3.9 %
            #expect(block.cumulativeLost == -2)  // 0xfffffe as signed 24-bit
            #expect(block.extendedHighestSequenceNumber == 0x0001_A2B3)
            #expect(block.jitter == 0x21)
            #expect(block.lastSenderReport == 0xB2C3_D4E5)
            #expect(block.delaySinceLastSenderReport == 0x0001_4000)  // 1.25 s in 1/65536 s

            guard case .receiverEstimatedMaxBitrate(let remb) = packets[1].view else {
                Issue.record("expected REMB, got \(packets[1].view)")
                return
            }
            #expect(remb.senderSSRC == 1)
            #expect(remb.mediaSSRC == 0)
            // 0x1a20df: exponent 0x1a >> 2 = 6, mantissa 0x2_20df = 139487; 139487 << 6 = 8927168 bps.
            #expect(remb.bitrate == 8_927_168)
            #expect(Array(remb.ssrcs) == [0x9C4D_1F2E])
        }
    }

    @Test func reducedSizeSingleFeedbackPacketIsAccepted() throws {
        // RFC 5506 §3: a compound need not start with SR/RR.
        let pli = PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).build()
        let layout = try packetLayout(pli)
        #expect(layout.count == 1)
        #expect(layout.first?.type == .payloadFeedback)
    }

    @Test func unknownTypesAreYieldedRaw() throws {
        // APP (204) with name "TEST" and 4 bytes of data, then an XR (207) stub, then an RTPFB FMT 3.
        let bytes = hex("""
            80cc0003 11111111 54455354 deadbeef
            80cf0001 22222222
            83cd0002 33333333 44444444
            """)
        try bytes.withUnsafeBytes { buffer in
            let packets = Array(try RTCPCompoundPacket(validating: buffer))
            #expect(packets.map(\.header.packetType) == [.applicationDefined, .extendedReport, .transportFeedback])
            #expect(packets.map(\.range) == [0..<16, 16..<24, 24..<36])
            for packet in packets {
                guard case .unknown = packet.view else {
                    Issue.record("expected unknown for \(packet.header.packetType)")
                    continue
                }
            }
            #expect(Array(packets[0].body) == hex("11111111 54455354 deadbeef"))
        }
    }

    @Test func paddingIsValidatedAndStripped() throws {
        // RR (no blocks) with the padding bit and 4 padding octets, the last counting them.
        let padded = hex("a0c90002 00000007 00000004")
        try padded.withUnsafeBytes { buffer in
            let packet = try #require(Array(try RTCPCompoundPacket(validating: buffer)).first)
            #expect(packet.header.hasPadding)
            #expect(packet.body.count == 4)
            #expect(packet.range == 0..<12)
            guard case .receiverReport(let rr) = packet.view else {
                Issue.record("expected RR")
                return
            }
            #expect(rr.ssrc == 7)
            #expect(rr.profileExtension.isEmpty)
        }
        for bad in [hex("a0c90002 00000007 00000000"), hex("a0c90002 00000007 00000009")] {
            #expect(throws: RTCPError.invalidPadding) {
                try bad.withUnsafeBytes { _ = try RTCPCompoundPacket(validating: $0) }
            }
        }
    }

    @Test func framingErrors() {
        let cases: [([UInt8], RTCPError)] = [
            ([], .invalidLength),
            (hex("40c90001 00000007"), .unsupportedVersion(1)),
            (hex("80c90002 00000007"), .invalidLength),  // claims 12 bytes, has 8
            (hex("80c90001 00000007 80"), .truncated),  // trailing partial header
            (hex("80c90001 00000007 c0c90000"), .unsupportedVersion(3)),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) {
                try bytes.withUnsafeBytes { _ = try RTCPCompoundPacket(validating: $0) }
            }
        }
    }

    @Test func malformedBodyDoesNotHideNeighbours() throws {
        // An SR claiming 1 report block but carrying none, followed by a valid PLI.
        let bytes = hex("81c80006 00000001 0000000000000000 00000000 00000000 00000000")
            + PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).build()
        try bytes.withUnsafeBytes { buffer in
            let views = try RTCPCompoundPacket(validating: buffer).map(\.view)
            try #require(views.count == 2)
            guard case .malformed(.malformedBody) = views[0] else {
                Issue.record("expected malformed SR, got \(views[0])")
                return
            }
            guard case .pictureLossIndication(let pli) = views[1] else {
                Issue.record("expected PLI")
                return
            }
            #expect(pli == PictureLossIndication(senderSSRC: 1, mediaSSRC: 2))
        }
    }

    /// Writers compose a compound in one preallocated datagram buffer, as a relay does per report.
    @Test func composeCompoundInPlace() throws {
        var datagram = [UInt8](repeating: 0xAA, count: 1200)
        let used = try datagram.withUnsafeMutableBytes { buffer in
            var offset = try ReceiverReport.write(
                ssrc: 0x0102_0304, reportBlocks: CollectionOfOne(ReportBlock(ssrc: 9, fractionLost: 3)), into: buffer)
            offset += try SourceDescription.write(
                chunks: [SourceDescription.Chunk(ssrc: 0x0102_0304, items: [.cname("relay")])],
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            offset += try ReceiverEstimatedMaxBitrate.write(
                senderSSRC: 0x0102_0304, bitrate: 3_000_000, ssrcs: CollectionOfOne(9),
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            return offset
        }
        let layout = try packetLayout(Array(datagram.prefix(used)))
        #expect(layout.map(\.type) == [.receiverReport, .sourceDescription, .payloadFeedback])
        #expect(layout.last?.range.upperBound == used)
        #expect(datagram[used...].allSatisfy { $0 == 0xAA })
    }

    @Test func headerRoundTrip() throws {
        let header = RTCPHeader(hasPadding: true, count: 17, packetType: .payloadFeedback, length: 0x1234)
        var bytes = [UInt8](repeating: 0, count: 4)
        bytes.withUnsafeMutableBytes { header.write(to: $0) }
        #expect(bytes == [0xB1, 206, 0x12, 0x34])
        let parsed = try bytes.withUnsafeBytes { try RTCPHeader(parsing: $0) }
        #expect(parsed == header)
        #expect(parsed.packetLength == (0x1234 + 1) * 4)
        #expect(parsed.feedbackFormat == 17)
    }
}
