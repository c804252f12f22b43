import Testing
@testable import RTCP

@Suite struct PayloadFeedbackTests {
    @Test func pictureLossIndicationLayout() throws {
        // RFC 4585 §6.3.1: PSFB FMT 1, no FCI, length 2.
        let pli = PictureLossIndication(senderSSRC: 0x0102_0304, mediaSSRC: 0x0506_0708)
        let bytes = pli.build()
        #expect(bytes == hex("81ce0002 01020304 05060708"))
        let parsed = try bytes.withUnsafeBytes { try PictureLossIndication(parsing: $0) }
        #expect(parsed == pli)
    }

    @Test func fullIntraRequestLayoutAndRoundTrip() throws {
        // RFC 5104 §4.3.1: PSFB FMT 4, media SSRC 0, FCI = SSRC, seq nr, 24 reserved bits.
        let entries = [FullIntraRequest.Entry(ssrc: 0xAABB_CCDD, sequenceNumber: 7), .init(ssrc: 5, sequenceNumber: 255)]
        let bytes = try FullIntraRequest.build(senderSSRC: 1, entries: entries)
        #expect(bytes == hex("84ce0006 00000001 00000000 aabbccdd 07000000 00000005 ff000000"))
        try bytes.withUnsafeBytes { buffer in
            let fir = try FullIntraRequest(parsing: buffer)
            #expect(fir.senderSSRC == 1)
            #expect(fir.mediaSSRC == 0)
            #expect(Array(fir.entries) == entries)
            #expect(try FullIntraRequest.build(senderSSRC: fir.senderSSRC, mediaSSRC: fir.mediaSSRC, entries: fir.entries) == bytes)
        }
        let ragged = hex("84ce0003 00000001 00000000 aabbccdd")
        #expect(throws: RTCPError.malformedBody) { try ragged.withUnsafeBytes { _ = try FullIntraRequest(parsing: $0) } }
    }

    @Test func rembLayoutAndRoundTrip() throws {
        let bytes = try ReceiverEstimatedMaxBitrate.build(senderSSRC: 9, bitrate: 1_000_000, ssrcs: [0x11, 0x22])
        // 1_000_000 > 2^18 - 1: exponent 2, mantissa 250000 = 0x3d090 → field (2 << 18) | 0x3d090 = 0x0bd090.
        #expect(bytes == hex("8fce0006 00000009 00000000 52454d42 02 0bd090 00000011 00000022"))
        try bytes.withUnsafeBytes { buffer in
            let remb = try ReceiverEstimatedMaxBitrate(parsing: buffer)
            #expect(remb.bitrate == 1_000_000)
            #expect(Array(remb.ssrcs) == [0x11, 0x22])
            #expect(try ReceiverEstimatedMaxBitrate.build(senderSSRC: remb.senderSSRC, bitrate: remb.bitrate, ssrcs: remb.ssrcs) == bytes)
        }
    }

    @Test func rembBitrateRoundTripsWithinMantissaPrecision() {
        var rng = SeededGenerator(seed: 15)
        var samples: [UInt64] = [0, 1, 0x3FFFF, 0x40000, 0x40001, 8_927_168, .max, .max >> 1]
        for _ in 0..<2000 {
            samples.append(UInt64.random(in: 0 ... .max, using: &rng) >> UInt64.random(in: 0...63, using: &rng))
        }
        for bitrate in samples {
            let field = ReceiverEstimatedMaxBitrate.encodeBitrate(bitrate)
            #expect(field <= 0xFF_FFFF)
            let exponent = field >> 18
            let decoded = ReceiverEstimatedMaxBitrate.decodeBitrate(field)
            // Rounded down, and the error is below one unit of the least significant mantissa bit.
            #expect(decoded <= bitrate)
            #expect(bitrate - decoded < (UInt64(1) << exponent))
            // The mantissa is fully used whenever an exponent is needed: no coarser than necessary.
            if exponent > 0 { #expect(field & 0x3FFFF >= 0x20000) }
            #expect(ReceiverEstimatedMaxBitrate.encodeBitrate(decoded) == field)
        }
    }

    @Test func rembDecodeSaturates() {
        // Exponent 63 with a full mantissa cannot fit 64 bits.
        #expect(ReceiverEstimatedMaxBitrate.decodeBitrate(0xFF_FFFF) == .max)
    }

    @Test func otherApplicationLayerFeedbackIsUnknown() throws {
        let bytes = hex("8fce0004 00000001 00000000 41424344 00000000")
        try bytes.withUnsafeBytes { buffer in
            let packet = try #require(Array(try RTCPCompoundPacket(validating: buffer)).first)
            guard case .unknown = packet.view else {
                Issue.record("expected unknown, got \(packet.view)")
                return
            }
        }
    }

    @Test func rembWithShortSSRCListIsMalformed() {
        let bytes = hex("8fce0004 00000001 00000000 52454d42 02000001")
        #expect(throws: RTCPError.malformedBody) {
            try bytes.withUnsafeBytes { _ = try ReceiverEstimatedMaxBitrate(parsing: $0) }
        }
    }
}
