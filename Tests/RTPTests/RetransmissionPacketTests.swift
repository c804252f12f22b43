import Testing
import RTP

/// `RetransmissionPacket.wrap` into a fresh buffer of `capacity` bytes; the written bytes.
private func wrap(
    _ original: [UInt8], payloadType: UInt8 = 97, ssrc: UInt32 = 0xAABB_CCDD, sequenceNumber: UInt16 = 1000,
    capacity: Int? = nil
) -> Result<[UInt8], RTPError> {
    var output = [UInt8](repeating: 0xEE, count: capacity ?? original.count + 2)
    return original.withUnsafeBytes { source in
        output.withUnsafeMutableBytes { destination in
            Result { () throws(RTPError) -> Int in
                try RetransmissionPacket.wrap(
                    source, payloadType: payloadType, ssrc: ssrc, sequenceNumber: sequenceNumber, into: destination)
            }
        }
    }.map { Array(output.prefix($0)) }
}

/// `RetransmissionPacket.unwrap` in place; the restored bytes, or nil for padding only.
private func unwrap(_ rtx: [UInt8], payloadType: UInt8 = 96, ssrc: UInt32 = 0x1C64_2782) -> Result<[UInt8]?, RTPError> {
    var bytes = rtx
    return bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(RTPError) -> RetransmissionPacket.Content in
            try RetransmissionPacket.unwrap(buffer, payloadType: payloadType, ssrc: ssrc)
        }
    }.map { content in
        switch content {
        case .original(let length, _): Array(bytes.prefix(length))
        case .paddingOnly: nil
        }
    }
}

/// `chromiumVP8Packet` as RTX (RFC 4588 §4): PT 97, SSRC 0xAABBCCDD, sequence number 1000.
private let chromiumVP8AsRTX: [UInt8] = [
    0x90, 0xE1, 0x03, 0xE8,  // V=2 X=1 CC=0, M=1 PT=97, RTX seq 1000
    0xD9, 0xC2, 0x93, 0xDA,  // timestamp unchanged
    0xAA, 0xBB, 0xCC, 0xDD,  // RTX SSRC
    0xBE, 0xDE, 0x00, 0x02,  // header extension unchanged
    0x22, 0x8F, 0xB2, 0x4C,
    0x41, 0x01, 0x23, 0x00,
    0x69, 0x8F,              // OSN 27023
    0x90, 0x80, 0x9A, 0x2B,  // original payload
    0x50, 0x3A, 0x00, 0x9D, 0x01, 0x2A,
]

@Test func wrapMatchesRFC4588LayoutByteForByte() throws {
    #expect(try wrap(chromiumVP8Packet).get() == chromiumVP8AsRTX)
}

@Test func unwrapRestoresTheOriginalByteForByte() throws {
    #expect(try unwrap(chromiumVP8AsRTX).get() == chromiumVP8Packet)
    var bytes = chromiumVP8AsRTX
    let content = bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(RTPError) -> RetransmissionPacket.Content in
            try RetransmissionPacket.unwrap(buffer, payloadType: 96, ssrc: 0x1C64_2782)
        }
    }
    #expect(content == .success(.original(length: chromiumVP8Packet.count, sequenceNumber: 27023)))
}

@Test func wrapDropsOriginalPaddingAndKeepsCSRCs() throws {
    let original: [UInt8] = [
        0xA1, 0x6F, 0x00, 0x05,  // V=2 P=1 CC=1, PT 111, seq 5
        0x00, 0x00, 0x01, 0x00,  // timestamp 256
        0x01, 0x02, 0x03, 0x04,  // SSRC
        0x0C, 0x0C, 0x0C, 0x0C,  // CSRC
        0x01, 0x02, 0x03,        // payload
        0x00, 0x00, 0x03,        // 3 bytes of padding
    ]
    let expected: [UInt8] = [
        0x81, 0x62, 0x00, 0x07,  // P cleared, PT 98, RTX seq 7
        0x00, 0x00, 0x01, 0x00,
        0x0A, 0x0B, 0x0C, 0x0D,
        0x0C, 0x0C, 0x0C, 0x0C,
        0x00, 0x05,              // OSN
        0x01, 0x02, 0x03,
    ]
    #expect(try wrap(original, payloadType: 98, ssrc: 0x0A0B_0C0D, sequenceNumber: 7).get() == expected)
    // Back again: the original without its padding.
    let restored = try #require(try unwrap(expected, payloadType: 111, ssrc: 0x0102_0304).get())
    #expect(restored == [0x81] + original[1..<19])
}

@Test func wrapNeedsRoomForTheOSN() {
    #expect(wrap(chromiumVP8Packet, capacity: chromiumVP8Packet.count + 1) == .failure(.bufferTooSmall))
    #expect(wrap(chromiumVP8Packet, capacity: chromiumVP8Packet.count + 2) == .success(chromiumVP8AsRTX))
    #expect(wrap(chromiumVP8Packet, payloadType: 128) == .failure(.invalidPayloadType))
    #expect(wrap(Array(chromiumVP8Packet.prefix(11))) == .failure(.truncated))
}

@Test func wrapInPlaceUsesTheOriginalsBuffer() throws {
    var bytes = chromiumVP8Packet + [0, 0]
    let length = bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(RTPError) -> Int in
            let original = UnsafeRawBufferPointer(rebasing: buffer[0..<chromiumVP8Packet.count])
            return try RetransmissionPacket.wrap(
                original, payloadType: 97, ssrc: 0xAABB_CCDD, sequenceNumber: 1000, into: buffer)
        }
    }
    #expect(length == .success(chromiumVP8AsRTX.count))
    #expect(bytes == chromiumVP8AsRTX)
}

@Test func unwrapIntoASeparateBuffer() throws {
    var output = [UInt8](repeating: 0, count: chromiumVP8Packet.count)
    let content = chromiumVP8AsRTX.withUnsafeBytes { rtx in
        output.withUnsafeMutableBytes { destination in
            Result { () throws(RTPError) -> RetransmissionPacket.Content in
                try RetransmissionPacket.unwrap(rtx, payloadType: 96, ssrc: 0x1C64_2782, into: destination)
            }
        }
    }
    #expect(content == .success(.original(length: chromiumVP8Packet.count, sequenceNumber: 27023)))
    #expect(output == chromiumVP8Packet)
    var small = [UInt8](repeating: 0, count: chromiumVP8Packet.count - 1)
    let failed = chromiumVP8AsRTX.withUnsafeBytes { rtx in
        small.withUnsafeMutableBytes { destination in
            Result { () throws(RTPError) -> RetransmissionPacket.Content in
                try RetransmissionPacket.unwrap(rtx, payloadType: 96, ssrc: 0x1C64_2782, into: destination)
            }
        }
    }
    #expect(failed == .failure(.bufferTooSmall))
}

@Test func paddingOnlyProbeIsRecognizedNotRejected() throws {
    // libwebrtc's RTX bandwidth probe: header and extensions (transport-wide seq), no payload,
    // 224 bytes of padding.
    let probe: [UInt8] = [
        0xB0, 0x61, 0x00, 0x2A,  // V=2 P=1 X=1, PT 97, RTX seq 42
        0x00, 0x00, 0x10, 0x00,
        0xAA, 0xBB, 0xCC, 0xDD,
        0xBE, 0xDE, 0x00, 0x01,
        0x41, 0x00, 0x07, 0x00,  // transport-wide seq 7
    ] + [UInt8](repeating: 0, count: 223) + [224]
    var bytes = probe
    let content = bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(RTPError) -> RetransmissionPacket.Content in
            try RetransmissionPacket.unwrap(buffer, payloadType: 96, ssrc: 1)
        }
    }
    #expect(content == .success(.paddingOnly))
    #expect(bytes == probe)  // untouched
    // No payload and no padding either: nothing to restore.
    #expect(unwrap(Array(chromiumVP8AsRTX.prefix(24))) == .success(nil))
}

@Test func oneBytePayloadCannotHoldTheOSN() {
    #expect(unwrap(Array(chromiumVP8AsRTX.prefix(25))) == .failure(.truncated))
    // The same byte followed by padding is no better.
    var padded = Array(chromiumVP8AsRTX.prefix(25)) + [0, 2]
    padded[0] |= 0x20
    #expect(unwrap(padded) == .failure(.truncated))
    #expect(unwrap(chromiumVP8AsRTX, payloadType: 200) == .failure(.invalidPayloadType))
}

@Test func rtxOwnPaddingIsDroppedOnUnwrap() throws {
    var padded = chromiumVP8AsRTX + [0, 0, 0, 4]
    padded[0] |= 0x20
    #expect(try unwrap(padded).get() == chromiumVP8Packet)
}

@Test func emptyOriginalPayloadSurvivesTheRoundTrip() throws {
    // An original with no payload becomes an RTX packet with only the OSN, and back.
    let original = Array(chromiumVP8Packet.prefix(24))
    let rtx = try wrap(original).get()
    #expect(rtx == Array(chromiumVP8AsRTX.prefix(26)))
    #expect(try unwrap(rtx).get() == original)
}

@Test func randomPacketsRoundTripOrFailCleanly() throws {
    var rng = SplitMix64(state: 4588)
    var wrapped = 0
    for round in 0..<20_000 {
        let builder = RTPHeaderBuilder(
            marker: Bool.random(using: &rng), payloadType: UInt8.random(in: 0...127, using: &rng),
            sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng), timestamp: UInt32.random(in: 0...UInt32.max, using: &rng),
            ssrc: UInt32.random(in: 0...UInt32.max, using: &rng),
            csrcs: (0..<Int.random(in: 0...2, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
            extensions: (0..<Int.random(in: 0...2, using: &rng)).map { _ in
                RTPHeaderExtension(id: UInt8.random(in: 1...20, using: &rng), value: [UInt8](repeating: 7, count: Int.random(in: 0...5, using: &rng)))
            })
        var bytes = try builder.packet(
            payload: (0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
            paddingLength: UInt8.random(in: 0...3, using: &rng))
        if round % 3 == 0 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
        if round % 7 == 0 { bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng)) }
        if round % 11 == 0 { bytes = (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let capacity = Int.random(in: 0...80, using: &rng)
        switch wrap(bytes, capacity: capacity) {
        case .failure(let error):
            // Refused only for a reason: a bad packet, or really too little room.
            if case .success(let header) = parse(bytes) {
                #expect(error == .bufferTooSmall)
                #expect(capacity < header.headerLength + 2 + header.payloadRange.count)
            } else {
                #expect(.failure(error) == parse(bytes))
            }
        case .success(let rtx):
            wrapped += 1
            let header = try parse(bytes).get()
            #expect(rtx.count == header.headerLength + 2 + header.payloadRange.count)
            let restored = try #require(try unwrap(rtx, payloadType: header.payloadType, ssrc: header.ssrc).get())
            var expected = Array(bytes[..<header.payloadRange.upperBound])
            expected[0] &= ~0x20
            #expect(restored == expected)
        }
        // Arbitrary bytes as RTX: restored or refused, never a trap.
        _ = unwrap(bytes)
    }
    #expect(wrapped > 5_000)  // the round trip was really exercised
}
