import Testing
import RTP

@Test func distanceAcrossWraparound() {
    #expect(RTPSequenceNumber.distance(from: 65535, to: 0) == 1)
    #expect(RTPSequenceNumber.distance(from: 0, to: 65535) == -1)
    #expect(RTPSequenceNumber.distance(from: 65000, to: 500) == 1036)
    #expect(RTPSequenceNumber.distance(from: 500, to: 65000) == -1036)
    #expect(RTPSequenceNumber.distance(from: 10, to: 10) == 0)
    #expect(RTPSequenceNumber.distance(from: 0, to: 32767) == 32767)
    #expect(RTPSequenceNumber.distance(from: 0, to: 32768) == -32768)
}

@Test func newerFollowsSerialArithmetic() {
    #expect(RTPSequenceNumber.isNewer(0, than: 65535))
    #expect(!RTPSequenceNumber.isNewer(65535, than: 0))
    #expect(RTPSequenceNumber.isNewer(2, than: 1))
    #expect(!RTPSequenceNumber.isNewer(1, than: 1))
    #expect(RTPSequenceNumber.isNewer(32767, than: 0))
    // Exactly half the space apart: neither is newer.
    #expect(!RTPSequenceNumber.isNewer(32768, than: 0))
    #expect(!RTPSequenceNumber.isNewer(0, than: 32768))
}

@Test func distanceIsAntisymmetricExceptAtHalfRange() {
    var rng = SplitMix64(state: 99)
    for _ in 0..<10_000 {
        let a = UInt16.random(in: 0...UInt16.max, using: &rng)
        let b = UInt16.random(in: 0...UInt16.max, using: &rng)
        let forward = RTPSequenceNumber.distance(from: a, to: b)
        #expect(a &+ UInt16(truncatingIfNeeded: forward) == b)
        if b &- a != 0x8000 {
            #expect(RTPSequenceNumber.distance(from: b, to: a) == -forward)
            #expect(RTPSequenceNumber.isNewer(b, than: a) != RTPSequenceNumber.isNewer(a, than: b) || a == b)
        }
    }
}

@Test func unwrapsAcrossSeveralCycles() {
    var unwrapper = SequenceNumberUnwrapper()
    #expect(unwrapper.highest == nil)
    var expected: Int64 = 65_000
    var sequence: UInt16 = 65_000
    for _ in 0..<200_000 {
        #expect(unwrapper.unwrap(sequence) == expected)
        sequence &+= 1
        expected += 1
    }
    #expect(unwrapper.highest == expected - 1)
    #expect(expected > 3 * 65_536)
}

@Test func reorderingAroundWrapUsesPreviousCycle() {
    var unwrapper = SequenceNumberUnwrapper()
    #expect(unwrapper.unwrap(65534) == 65534)
    #expect(unwrapper.unwrap(1) == 65537)
    #expect(unwrapper.unwrap(65535) == 65535)  // late packet from before the wrap
    #expect(unwrapper.highest == 65537)
    #expect(unwrapper.unwrap(0) == 65536)
    #expect(unwrapper.unwrap(2) == 65538)
    #expect(unwrapper.highest == 65538)
}

@Test func lossGapsAndLatePacketsBeforeFirst() {
    var unwrapper = SequenceNumberUnwrapper()
    #expect(unwrapper.unwrap(100) == 100)
    #expect(unwrapper.unwrap(30_000) == 30_000)  // big loss burst, still forward
    #expect(unwrapper.unwrap(20_000) == 20_000)  // late
    #expect(unwrapper.highest == 30_000)

    var fresh = SequenceNumberUnwrapper()
    #expect(fresh.unwrap(0) == 0)
    #expect(fresh.unwrap(65535) == -1)  // reordered ahead of the first packet seen
    #expect(fresh.highest == 0)
}
