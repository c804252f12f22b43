import Testing
import RTP

private func parseRED(_ payload: [UInt8]) -> Result<RedundantAudio, RTPError> {
    payload.withUnsafeBytes { buffer in
        Result { () throws(RTPError) -> RedundantAudio in try RedundantAudio(parsing: buffer) }
    }
}

private func blocks(_ payload: [UInt8], _ red: RedundantAudio) -> [RedundantAudioBlock] {
    payload.withUnsafeBytes { Array(red.blocks(in: $0)) }
}

/// `RedundantAudio.extractPrimary` in place; the new packet bytes and payload type.
private func extractPrimary(_ packet: [UInt8]) -> Result<([UInt8], UInt8), RTPError> {
    var bytes = packet
    return bytes.withUnsafeMutableBytes { buffer in
        Result { () throws(RTPError) -> (length: Int, payloadType: UInt8) in try RedundantAudio.extractPrimary(buffer) }
    }.map { (Array(bytes.prefix($0.length)), $0.payloadType) }
}

/// The RFC 2198 §3 example: one redundant LPC block (PT 7, 14 bytes, 160 timestamp units
/// older), then the primary DVI4 block (PT 5, 84 bytes).
private let rfcExample: [UInt8] = [
    0x87, 0x02, 0x80, 0x0E,  // F=1 PT=7, timestamp offset 160, block length 14
    0x05,                    // F=0 PT=5
] + [UInt8](repeating: 0x4C, count: 14) + [UInt8](repeating: 0xD4, count: 84)

@Test func parsesTheRFC2198Example() throws {
    let red = try parseRED(rfcExample).get()
    #expect(red.redundantBlockCount == 1)
    #expect(red.primary == RedundantAudioBlock(payloadType: 5, timestampOffset: 0, range: 19..<103, isPrimary: true))
    #expect(blocks(rfcExample, red) == [
        RedundantAudioBlock(payloadType: 7, timestampOffset: 160, range: 5..<19, isPrimary: false),
        red.primary,
    ])
}

/// Chrome's Opus RED (`a=rtpmap:63 red/48000/2`, `a=fmtp:63 111/111`): two 20 ms old copies
/// and the primary, with a one-byte audio-level extension and 2 bytes of RTP padding.
private let opusREDPacket: [UInt8] = [
    0xB0, 0xBF, 0x12, 0x34,  // V=2 P=1 X=1, M=1 PT=63, seq 0x1234
    0x00, 0x01, 0x00, 0x00,  // timestamp 65536
    0x11, 0x22, 0x33, 0x44,  // SSRC
    0xBE, 0xDE, 0x00, 0x01,
    0x10, 0x85, 0x00, 0x00,  // ID 1 audio level
    0xEF, 0x1E, 0x00, 0x03,  // F=1 PT=111, offset 1920, length 3
    0xEF, 0x0F, 0x00, 0x02,  // F=1 PT=111, offset 960, length 2
    0x6F,                    // F=0 PT=111
    0xA1, 0xA2, 0xA3,        // block 1
    0xB1, 0xB2,              // block 2
    0xC1, 0xC2, 0xC3, 0xC4,  // primary
    0x00, 0x02,              // padding
]

@Test func walksOpusREDBlocksInPacketCoordinates() throws {
    let header = try parse(opusREDPacket).get()
    let red = try opusREDPacket.withUnsafeBytes { buffer in
        Result { () throws(RTPError) -> RedundantAudio in try RedundantAudio(parsing: buffer, payloadRange: header.payloadRange) }
    }.get()
    #expect(red.redundantBlockCount == 2)
    #expect(blocks(opusREDPacket, red) == [
        RedundantAudioBlock(payloadType: 111, timestampOffset: 1920, range: 29..<32, isPrimary: false),
        RedundantAudioBlock(payloadType: 111, timestampOffset: 960, range: 32..<34, isPrimary: false),
        RedundantAudioBlock(payloadType: 111, timestampOffset: 0, range: 34..<38, isPrimary: true),
    ])
}

@Test func extractsThePrimaryAsAPlainPacket() throws {
    let (bytes, payloadType) = try extractPrimary(opusREDPacket).get()
    #expect(payloadType == 111)
    #expect(bytes == [
        0x90, 0xEF, 0x12, 0x34,  // P cleared, M kept, PT 111
        0x00, 0x01, 0x00, 0x00,
        0x11, 0x22, 0x33, 0x44,
        0xBE, 0xDE, 0x00, 0x01,
        0x10, 0x85, 0x00, 0x00,
        0xC1, 0xC2, 0xC3, 0xC4,
    ])
}

@Test func primaryOnlyAndEmptyPrimary() throws {
    let primaryOnly: [UInt8] = [0x6F, 0xC1, 0xC2]
    let red = try parseRED(primaryOnly).get()
    #expect(red.redundantBlockCount == 0)
    #expect(blocks(primaryOnly, red) == [RedundantAudioBlock(payloadType: 111, timestampOffset: 0, range: 1..<3, isPrimary: true)])
    // Redundant data exactly filling the rest leaves an empty primary: reported, not refused.
    let emptyPrimary: [UInt8] = [0xEF, 0x0F, 0x00, 0x02, 0x6F, 0xB1, 0xB2]
    #expect(try parseRED(emptyPrimary).get().primary.range == 7..<7)
    #expect(try parseRED([0x6F]).get().primary.range == 1..<1)
}

@Test func largestFieldValues() throws {
    // Timestamp offset 16383 (14 bits of ones), length 1023 (10 bits of ones), PT 127.
    let payload: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + [UInt8](repeating: 1, count: 1023) + [2]
    let red = try parseRED(payload).get()
    #expect(blocks(payload, red) == [
        RedundantAudioBlock(payloadType: 127, timestampOffset: 16383, range: 5..<1028, isPrimary: false),
        RedundantAudioBlock(payloadType: 127, timestampOffset: 0, range: 1028..<1029, isPrimary: true),
    ])
}

@Test func malformedREDPayloadsAreErrors() throws {
    #expect(parseRED([]) == .failure(.truncated))  // zero-length RED
    #expect(parseRED([0x87]) == .failure(.truncated))  // F=1 header cut after 1 byte
    #expect(parseRED([0x87, 0x02, 0x80]) == .failure(.truncated))  // ... after 3
    #expect(parseRED([0x87, 0x02, 0x80, 0x00]) == .failure(.truncated))  // no F=0 header
    #expect(parseRED([0x87, 0x02, 0x80, 0x00, 0x87, 0x02, 0x80, 0x00]) == .failure(.truncated))
    // Block length 14, only 10 data bytes follow.
    #expect(parseRED([0x87, 0x02, 0x80, 0x0E, 0x05] + [UInt8](repeating: 0, count: 10)) == .failure(.truncated))
    // Lengths that together overrun, each fitting alone.
    #expect(parseRED([0x87, 0x00, 0x00, 0x03, 0x87, 0x00, 0x00, 0x03, 0x05, 1, 2, 3, 4, 5]) == .failure(.truncated))
    // A payload range outside the buffer.
    let outside = [UInt8](repeating: 0x05, count: 4).withUnsafeBytes { buffer in
        Result { () throws(RTPError) -> RedundantAudio in try RedundantAudio(parsing: buffer, payloadRange: 2..<9) }
    }
    #expect(outside == .failure(.truncated))
    // A RED packet whose payload is only padding; a packet that is not RTP.
    #expect(extractPrimary(Array(opusREDPacket.prefix(20)) + [0, 0, 3]).map { $0.0 } == .failure(.truncated))
    #expect(extractPrimary([0x40] + opusREDPacket.dropFirst()).map { $0.0 } == .failure(.unsupportedVersion(1)))
}

@Test func randomPayloadsParseConsistentlyOrFail() throws {
    var rng = SplitMix64(state: 2198)
    var parsed = 0
    for _ in 0..<20_000 {
        var payload: [UInt8] = []
        // Mostly plausible header chains with random lengths, sometimes pure noise.
        if Bool.random(using: &rng) {
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                payload += [0x80 | UInt8.random(in: 0...127, using: &rng), UInt8.random(in: 0...255, using: &rng),
                            UInt8.random(in: 0...255, using: &rng) & 0xFC, UInt8.random(in: 0...12, using: &rng)]
            }
            payload.append(UInt8.random(in: 0...127, using: &rng))
            payload += (0..<Int.random(in: 0...30, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        } else {
            payload = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        guard case .success(let red) = parseRED(payload) else { continue }
        parsed += 1
        let all = blocks(payload, red)
        #expect(all.count == red.redundantBlockCount + 1)
        #expect(all.last == red.primary)
        #expect(all.dropLast().allSatisfy { !$0.isPrimary })
        // Headers (4 bytes each, 1 for the primary) then the blocks, back to back to the end.
        var next = 4 * red.redundantBlockCount + 1
        for block in all {
            #expect(block.range.lowerBound == next)
            next = block.range.upperBound
        }
        #expect(next == payload.count)
    }
    #expect(parsed > 3_000)
}

@Test func blocksOfAShorterBufferStayInsideIt() throws {
    // Misuse: walking with a different (shorter) buffer than the one parsed stops, never overruns.
    let red = try parseRED(rfcExample).get()
    for cut in 0...rfcExample.count {
        let shorter = Array(rfcExample.prefix(cut))
        for block in blocks(shorter, red) { #expect(block.range.upperBound <= cut) }
    }
}
