import Testing
@testable import RTCP

@Suite struct GenericNackTests {
    @Test func rfc4585LayoutAndExpansion() throws {
        // RFC 4585 §6.2.1: PID 0x0010, BLP 0b101 → 16, 17 (bit 0), 19 (bit 2) lost.
        let bytes = hex("81cd0003 00000001 00000002 00100005")
        try bytes.withUnsafeBytes { buffer in
            let nack = try GenericNack(parsing: buffer)
            #expect(nack.senderSSRC == 1)
            #expect(nack.mediaSSRC == 2)
            #expect(Array(nack.pairs) == [NackPair(packetID: 16, lostBitmask: 5)])
            #expect(Array(nack.lostSequenceNumbers) == [16, 17, 19])
        }
        #expect(try GenericNack.build(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [16, 17, 19]) == bytes)
    }

    @Test func packingAcrossWrapAround() {
        // 65534 + 16 wraps to 14: bits 0 (65535), 1 (0) and 15 (14); 15 needs a new entry.
        let pairs = Array(NackPair.packing([65534, 65535, 0, 14, 15]))
        #expect(pairs == [NackPair(packetID: 65534, lostBitmask: 0b1000_0000_0000_0011), NackPair(packetID: 15)])
        #expect(pairs.flatMap { Array($0.lostSequenceNumbers) } == [65534, 65535, 0, 14, 15])
    }

    @Test func packingBoundaries() {
        #expect(Array(NackPair.packing([UInt16]())).isEmpty)
        // Exactly 16 after PID fits (bit 15); 17 after needs a new entry.
        #expect(Array(NackPair.packing([100, 116])) == [NackPair(packetID: 100, lostBitmask: 0x8000)])
        #expect(Array(NackPair.packing([100, 117])) == [NackPair(packetID: 100), NackPair(packetID: 117)])
        #expect(Array(NackPair.packing([5, 5, 6, 6])) == [NackPair(packetID: 5, lostBitmask: 1)])
        #expect(Array(NackPair.packing(0..<17)) == [NackPair(packetID: 0, lostBitmask: 0xFFFF)])
    }

    /// Property: for random sorted lost sets (wrapping), packing loses nothing, invents nothing, and
    /// is minimal: consecutive PIDs are more than 16 apart and each PID is itself lost, so no single
    /// 17-wide window could cover two of them — any encoding needs at least as many entries.
    @Test func randomLostSetsRoundTripMinimally() throws {
        var rng = SeededGenerator(seed: 4585)
        for _ in 0..<500 {
            let start = UInt16.random(in: .min ... .max, using: &rng)
            let span = Int.random(in: 1...600, using: &rng)
            let density = Double.random(in: 0.02...0.9, using: &rng)
            let lost = (0..<span).compactMap { offset in
                Double.random(in: 0..<1, using: &rng) < density ? start &+ UInt16(offset) : nil
            }
            let pairs = Array(NackPair.packing(lost))
            #expect(pairs.flatMap { Array($0.lostSequenceNumbers) } == lost)
            for (previous, next) in zip(pairs, pairs.dropFirst()) {
                #expect(next.packetID &- previous.packetID > 16)
            }

            let bytes = try GenericNack.build(senderSSRC: 3, mediaSSRC: 4, lostSequenceNumbers: lost)
            #expect(bytes.count == 12 + 4 * pairs.count)
            try bytes.withUnsafeBytes { buffer in
                let nack = try GenericNack(parsing: buffer)
                #expect(Array(nack.pairs) == pairs)
                #expect(Array(nack.lostSequenceNumbers) == lost)
                #expect(try GenericNack.build(senderSSRC: 3, mediaSSRC: 4, pairs: nack.pairs) == bytes)
            }
        }
    }

    @Test func writeWithoutAllocationIntoFixedBuffer() throws {
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let written = try buffer.withUnsafeMutableBytes { out in
            try GenericNack.write(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [10, 40, 41], into: out)
        }
        #expect(written == 20)
        #expect(Array(buffer.prefix(written)) == hex("81cd0004 00000001 00000002 000a0000 00280001"))
        #expect(throws: RTCPError.bufferTooSmall(needed: 20)) {
            var small = [UInt8](repeating: 0, count: 19)
            _ = try small.withUnsafeMutableBytes { out in
                try GenericNack.write(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [10, 40], into: out)
            }
        }
    }

    @Test func misalignedFCIIsMalformed() {
        // Two padding octets leave half an FCI entry.
        let padded = hex("a1cd0003 00000001 00000002 00100002")
        #expect(throws: RTCPError.malformedBody) {
            try padded.withUnsafeBytes { _ = try GenericNack(parsing: $0) }
        }
    }
}
