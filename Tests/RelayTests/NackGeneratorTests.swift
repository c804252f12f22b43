import RTCP
import Testing

#if canImport(RelayFeedback)
@testable import RelayFeedback
#else
@testable import Relay
#endif

/// The NACK generator, driven like the engine drives it: packets in, polls at its deadlines.
@Suite struct NackGeneratorTests {
    static let ms: Int64 = 1_000_000

    /// A generator plus the caller's reused pair buffer.
    struct Driver {
        var generator: NackGenerator
        var pairs: [NackPair] = []

        init(_ configure: (inout NackGenerator.Configuration) -> Void = { _ in }) {
            var configuration = NackGenerator.Configuration()
            configure(&configuration)
            generator = NackGenerator(configuration: configuration)
        }

        mutating func receive(_ sequenceNumbers: [UInt16], at now: Int64, keyframe: Bool = false, rtx: Bool = false) {
            for sequenceNumber in sequenceNumbers {
                generator.received(
                    sequenceNumber: sequenceNumber, isKeyframe: keyframe, isRetransmission: rtx, now: now)
            }
        }

        /// Polls and returns the lost sequence numbers named, in order.
        mutating func poll(at now: Int64, rtt: Int64? = nil) -> [UInt16] {
            let decision = generator.poll(now: now, rtt: rtt, into: &pairs)
            let named = pairs.flatMap { Array($0.lostSequenceNumbers) }
            #expect(decision.sequenceNumberCount == named.count)
            return named
        }
    }

    @Test func gapIsNackedAfterTheReorderDelay() {
        var driver = Driver()
        driver.receive([100, 101, 104], at: 0)
        #expect(driver.generator.missingCount == 2)
        #expect(driver.generator.pollTimeout() == 10 * Self.ms)
        #expect(driver.poll(at: 9 * Self.ms).isEmpty)
        #expect(driver.poll(at: 10 * Self.ms) == [102, 103])
        #expect(driver.pairs == [NackPair(packetID: 102, lostBitmask: 0b1)])
        // Next: one default round trip (100 ms) later.
        #expect(driver.generator.pollTimeout() == 110 * Self.ms)
    }

    @Test func reorderingWithinTheDelayIsNotNacked() {
        var driver = Driver()
        driver.receive([1, 3], at: 0)
        driver.receive([2], at: 5 * Self.ms)
        #expect(driver.generator.missingCount == 0)
        #expect(driver.generator.pollTimeout() == nil)
        #expect(driver.poll(at: 50 * Self.ms).isEmpty)
        // A duplicate or an old packet that was never missing changes nothing.
        driver.receive([3, 2, 1], at: 60 * Self.ms)
        #expect(driver.generator.pollTimeout() == nil)
    }

    @Test func retransmissionFillsItsGap() {
        var driver = Driver()
        driver.receive([10, 14], at: 0)
        #expect(driver.poll(at: 10 * Self.ms) == [11, 12, 13])
        // 12 comes back on RTX; 11 arrives late as media.
        let filledByRTX = driver.generator.received(
            sequenceNumber: 12, isKeyframe: false, isRetransmission: true, now: 40 * Self.ms)
        let filledLate = driver.generator.received(
            sequenceNumber: 11, isKeyframe: false, isRetransmission: false, now: 41 * Self.ms)
        #expect(filledByRTX && filledLate)
        #expect(driver.generator.missingCount == 1)
        #expect(driver.poll(at: 110 * Self.ms) == [13])
        driver.receive([13], at: 120 * Self.ms, rtx: true)
        #expect(driver.generator.pollTimeout() == nil)
        // A retransmission newer than the stream never opens a gap.
        driver.receive([20], at: 130 * Self.ms, rtx: true)
        driver.receive([15], at: 131 * Self.ms)
        #expect(driver.generator.missingCount == 0)
    }

    @Test func retriesFollowTheRoundTripWithinBounds() {
        var driver = Driver()
        driver.receive([0, 2], at: 0)
        #expect(driver.poll(at: 10 * Self.ms, rtt: 60 * Self.ms) == [1])
        #expect(driver.generator.pollTimeout() == 70 * Self.ms)
        #expect(driver.poll(at: 69 * Self.ms, rtt: 60 * Self.ms).isEmpty)
        #expect(driver.poll(at: 70 * Self.ms, rtt: 60 * Self.ms) == [1])
        // A 1 ms RTT is paced at the 20 ms floor, a 3 s one at the 500 ms ceiling.
        #expect(driver.poll(at: 89 * Self.ms, rtt: 1 * Self.ms).isEmpty)
        #expect(driver.poll(at: 90 * Self.ms, rtt: 1 * Self.ms) == [1])
        #expect(driver.poll(at: 584 * Self.ms, rtt: 3_000 * Self.ms).isEmpty)
        #expect(driver.generator.pollTimeout() == 590 * Self.ms)
        // Deadlines keep 5 ms apart, batching what falls due meanwhile.
        #expect(driver.poll(at: 589 * Self.ms, rtt: 3_000 * Self.ms).isEmpty)
        #expect(driver.generator.pollTimeout() == 594 * Self.ms)
        #expect(driver.poll(at: 590 * Self.ms, rtt: 3_000 * Self.ms) == [1])
    }

    @Test func givesUpAfterMaxRetries() {
        var driver = Driver { $0.maxRetries = 4 }
        driver.receive([0, 2], at: 0)
        var nacks = 0
        var now: Int64 = 0
        while let deadline = driver.generator.pollTimeout(), nacks < 100 {
            now = deadline
            nacks += driver.poll(at: now, rtt: 30 * Self.ms).count
        }
        #expect(nacks == 4)
        #expect(now == 10 * Self.ms + 3 * 30 * Self.ms)
        #expect(driver.generator.missingCount == 0)
        // The packet arriving after all still changes nothing.
        driver.receive([1], at: now + Self.ms)
        #expect(driver.generator.pollTimeout() == nil)
    }

    @Test func wrapsAroundAt65535() throws {
        var driver = Driver()
        driver.receive([65_533, 65_535, 2], at: 0)
        #expect(driver.generator.missingCount == 3)
        #expect(driver.poll(at: 10 * Self.ms) == [65_534, 0, 1])
        // 65534 + 2 wraps to 0: bits 1 (0) and 2 (1).
        #expect(driver.pairs == [NackPair(packetID: 65_534, lostBitmask: 0b110)])
        driver.receive([0], at: 20 * Self.ms)
        // Late packets from before the wrap still find their entry.
        driver.receive([65_534], at: 21 * Self.ms)
        #expect(driver.poll(at: 200 * Self.ms) == [1])
    }

    /// RFC 4585 §6.2.1 on the wire: the generator's entries, encoded, are exactly these bytes.
    @Test func packsIntoGenericNackBytes() throws {
        var driver = Driver()
        // Lost: 1001, 1002, 1017 (1001 + 16: the last bit), 1018 (needs a new entry), 1040.
        var received = Array(UInt16(1_000)...1_041)
        received.removeAll { [1_001, 1_002, 1_017, 1_018, 1_040].contains($0) }
        driver.receive(received, at: 0)
        #expect(driver.poll(at: 10 * Self.ms) == [1_001, 1_002, 1_017, 1_018, 1_040])
        let bytes = try GenericNack.build(senderSSRC: 0x0102_0304, mediaSSRC: 0xAABB_CCDD, pairs: driver.pairs)
        let expected: [UInt8] = [
            0x81, 205, 0x00, 0x05,  // V=2, FMT=1, RTPFB, length 5 words - 1
            0x01, 0x02, 0x03, 0x04,  // sender SSRC
            0xAA, 0xBB, 0xCC, 0xDD,  // media SSRC
            0x03, 0xE9, 0x80, 0x01,  // PID 1001; BLP bit 0 (1002) and bit 15 (1017)
            0x03, 0xFA, 0x00, 0x00,  // PID 1018
            0x04, 0x10, 0x00, 0x00,  // PID 1040
        ]
        #expect(bytes == expected)
    }

    @Test func entriesPerPollAreCapped() {
        var driver = Driver { $0.maxPairsPerPoll = 2 }
        driver.receive(Array(0...82).filter { ![1, 41, 81].contains($0) }, at: 0)
        #expect(driver.poll(at: 10 * Self.ms) == [1, 41])
        // The rest is due at once, not a round trip later.
        #expect(driver.generator.pollTimeout() == 10 * Self.ms)
        #expect(driver.poll(at: 10 * Self.ms) == [81])
        #expect(driver.generator.pollTimeout() == 110 * Self.ms)
    }

    @Test func hugeJumpIsARestartNotThousandsOfEntries() {
        var driver = Driver()
        driver.receive([100, 102], at: 0)
        // One stray packet far ahead changes nothing...
        driver.receive([40_000], at: Self.ms)
        driver.receive([103], at: 2 * Self.ms)
        #expect(driver.generator.missingCount == 1)
        #expect(driver.poll(at: 10 * Self.ms) == [101])
        // ...two in a row are a new stream: old gaps forgotten, a keyframe wanted, none added.
        driver.receive([20_000, 20_001], at: 20 * Self.ms)
        #expect(driver.generator.missingCount == 0)
        #expect(driver.generator.pollTimeout() == 20 * Self.ms)
        let decision = driver.generator.poll(now: 20 * Self.ms, rtt: nil, into: &driver.pairs)
        #expect(decision.requestKeyframe)
        #expect(driver.pairs.isEmpty)
        #expect(driver.generator.pollTimeout() == nil)
        // Tracking goes on from the new numbers.
        driver.receive([20_003], at: 30 * Self.ms)
        #expect(driver.poll(at: 40 * Self.ms) == [20_002])
    }

    @Test func restartBackwardsIsFollowed() {
        var driver = Driver()
        driver.receive([30_000, 30_001], at: 0)
        driver.receive([5, 6], at: Self.ms, keyframe: true)
        // Starting on a keyframe, the restart needs none.
        #expect(driver.generator.poll(now: Self.ms, rtt: nil, into: &driver.pairs) == .init())
        driver.receive([8], at: 2 * Self.ms)
        #expect(driver.poll(at: 12 * Self.ms) == [7])
    }

    @Test func overflowDropsWhatTheLatestKeyframeMadeUseless() {
        var driver = Driver { $0.maxMissing = 100 }
        // 60 missing (1...60), then a keyframe at 100 (39 more missing: 62...99 but 61 arrives).
        driver.receive([0, 61], at: 0)
        driver.receive([100], at: 0, keyframe: true)
        #expect(driver.generator.missingCount == 98)
        // 10 more would overflow: everything before the keyframe goes, nothing else.
        driver.receive([111], at: Self.ms)
        #expect(driver.generator.missingCount == 10)
        #expect(driver.poll(at: 20 * Self.ms) == Array(101...110))
        // Without a newer keyframe to cut at, overflow clears the list and wants one.
        driver.receive([300], at: 30 * Self.ms)
        #expect(driver.generator.missingCount == 0)
        #expect(driver.generator.poll(now: 30 * Self.ms, rtt: nil, into: &driver.pairs).requestKeyframe)
    }

    /// Every other packet lost, forever, at the slowest retry pace so entries live longest: the list
    /// stays bounded, each poll's output fits one datagram, and overflow asks for keyframes.
    @Test func everyOtherPacketLostForeverStaysBounded() {
        var driver = Driver()
        let configuration = driver.generator.configuration
        var now: Int64 = 0
        var keyframeRequests = 0
        var nacked = 0
        var sequenceNumber: UInt16 = 0
        var largestList = 0
        var largestPoll = 0
        var polls = 0
        for _ in 0..<200_000 {
            driver.generator.received(
                sequenceNumber: sequenceNumber, isKeyframe: false, isRetransmission: false, now: now)
            sequenceNumber &+= 2
            now += Self.ms / 2
            largestList = max(largestList, driver.generator.missingCount)
            if let deadline = driver.generator.pollTimeout(), deadline <= now {
                let decision = driver.generator.poll(now: now, rtt: 10_000 * Self.ms, into: &driver.pairs)
                largestPoll = max(largestPoll, driver.pairs.count)
                polls += 1
                if decision.requestKeyframe { keyframeRequests += 1 }
                nacked += decision.sequenceNumberCount
            }
        }
        #expect(largestList <= configuration.maxMissing && largestList > configuration.maxMissing / 2)
        #expect(largestPoll <= configuration.maxPairsPerPoll)
        #expect(keyframeRequests > 0)
        #expect(nacked > 100_000)
        // 100 simulated seconds, one gap per millisecond, yet at most a poll (and a NACK) per 5 ms.
        #expect(polls <= 100 * 200)
    }

    /// Random hostile sequence numbers and flags: no trap, the list within bounds, entries always sorted
    /// wrapping-ascending with each named once per poll.
    @Test func randomHostileInputKeepsInvariants() {
        var random = SplitMix(seed: 6_464)
        var driver = Driver { $0.maxMissing = 300 }
        var now: Int64 = 0
        var sequenceNumber: UInt16 = 0
        for _ in 0..<100_000 {
            switch random.next() % 8 {
            case 0: sequenceNumber = UInt16(truncatingIfNeeded: random.next())
            case 1: sequenceNumber &-= UInt16(truncatingIfNeeded: random.next() % 2_000)
            case 2: sequenceNumber &+= UInt16(truncatingIfNeeded: random.next() % 1_200)
            default: sequenceNumber &+= UInt16(truncatingIfNeeded: random.next() % 3)
            }
            let flags = random.next()
            driver.generator.received(
                sequenceNumber: sequenceNumber, isKeyframe: flags & 1 == 0, isRetransmission: flags & 6 == 0, now: now)
            now += Int64(random.next() % 3) * Self.ms
            #expect(driver.generator.missingCount <= 300)
            if random.next() % 4 == 0 {
                let named = driver.poll(at: now, rtt: Int64(random.next() % 300) * Self.ms)
                #expect(driver.pairs.count <= 64)
                for (a, b) in zip(named, named.dropFirst()) {
                    let step = b &- a
                    #expect(step > 0 && step < 32_768)
                }
            }
        }
    }
}

/// A seeded generator (SplitMix64) so the hostile run is the same every time.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
