import Testing
@testable import SRTP

/// The per-SSRC state behind the EVP backend: the ring-addressed replay window and the stream table, checked
/// against a plain set of seen indices and against libsrtp with more streams than the table scans linearly.
struct StreamStateTests {
    /// Random walks of indices (mostly forward, some reordering, jumps past the window) give the same
    /// verdicts as a set of every accepted index.
    @Test(arguments: [64, 100, 1_024])
    func theRingWindowAgreesWithASetOfSeenIndices(size: Int) {
        var window = ReplayWindow(size: size)
        var seen: Set<UInt64> = []
        var highest: UInt64 = 0
        var state: UInt64 = 0x9E37_79B9
        func random(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        var index: UInt64 = 0
        for _ in 0..<20_000 {
            switch random(20) {
            case 0: index = highest &+ UInt64(size) &+ random(3 * UInt64(size))  // a jump past the window
            case 1, 2, 3: index = highest >= 40 ? highest - random(40) : random(40)  // late or repeated
            case 4: index = highest >= UInt64(size) ? highest - UInt64(size) + random(3) : index  // at the edge
            default: index = highest &+ 1 &+ random(3)
            }
            let expected: ReplayWindow.Verdict =
                index > highest ? .fresh
                : highest - index >= UInt64(size) ? .tooOld
                : seen.contains(index) ? .seen : .fresh
            #expect(window.check(index) == expected, "index \(index), highest \(highest)")
            if expected != .tooOld {
                window.accept(index)
                seen.insert(index)
                highest = max(highest, index)
            }
        }
    }

    @Test func theTableFindsUpdatesAndForgetsStreamsPastItsLinearScan() {
        var table = StreamTable<Int>(limit: 40)
        for ssrc in UInt32(1)...30 { _ = table.insert(Int(ssrc) * 10, for: ssrc * 1_000) }
        for ssrc in UInt32(1)...30 { #expect(table.slot(of: ssrc * 1_000).map { table[$0] } == Int(ssrc) * 10) }
        #expect(table.slot(of: 5) == nil)
        // Removing from the middle moves the last stream into the hole; both lookups stay right.
        let removed = table.remove(7_000)
        let removedAgain = table.remove(7_000)
        #expect(removed && !removedAgain)
        #expect(table.slot(of: 7_000) == nil && table.slot(of: 30_000).map { table[$0] } == 300)
        if let slot = table.slot(of: 12_000) { table[slot] += 1 }
        #expect(table.slot(of: 12_000).map { table[$0] } == 121)
        // Shrinking back under the scan limit drops the index and keeps finding the rest.
        for ssrc in UInt32(10)...30 where ssrc != 12 {
            let removed = table.remove(ssrc * 1_000)
            #expect(removed)
        }
        #expect(table.count == 9)
        let last = table.remove(12_000)
        #expect(last)
        for ssrc in UInt32(1)...9 where ssrc != 7 { #expect(table.slot(of: ssrc * 1_000).map { table[$0] } == Int(ssrc) * 10) }
        #expect(!table.isFull)
    }

    /// Twenty SSRCs interleaved (past the table's linear scan), RTP and RTCP, byte for byte libsrtp's both ways,
    /// then a stream removed and restarted.
    @Test func manyInterleavedStreamsStayByteForByteLibsrtps() throws {
        let contexts = try SRTPBackendCrossTests.allFour()
        for round in 0..<30 {
            for stream in UInt32(0)..<20 {
                let plain = SRTPContextTests.rtpPacket(
                    sequence: UInt16(truncatingIfNeeded: 65_520 + round), ssrc: 0x1000 + stream, payloadLength: 40 + Int(stream))
                try SRTPBackendCrossTests.checkBothWays(plain, rtcp: false, contexts)
                if round % 5 == 0 {
                    let sender = withUnsafeBytes(of: (0x1000 + stream).bigEndian) { Array($0) }
                    try SRTPBackendCrossTests.checkBothWays([0x80, 201, 0, 1] + sender, rtcp: true, contexts)
                }
            }
        }
        #expect(contexts.ours.removeStream(ssrc: 0x1005))
        var restarted = SRTPContextTests.rtpPacket(sequence: 65_520, ssrc: 0x1005, payloadLength: 40)
        try contexts.ours.protectRTP(&restarted)
    }
}
