@testable import Congestion
import Testing

/// Sequence-number and reference-time unwrapping, and the sent-packet ring.
@Suite struct SentPacketHistoryTests {
    @Test func sixteenBitUnwrapCrossesTheWrapBothWays() {
        var unwrapper = WrappingCounterUnwrapper(bits: 16)
        #expect(unwrapper.unwrap(65_534) == 65_534)
        #expect(unwrapper.unwrap(65_535) == 65_535)
        #expect(unwrapper.unwrap(0) == 65_536)
        #expect(unwrapper.unwrap(1) == 65_537)
        // A late packet from before the wrap goes back, not a lap forward.
        #expect(unwrapper.unwrap(65_533) == 65_533)
        #expect(unwrapper.last == 65_537)
        #expect(unwrapper.unwrap(2) == 65_538)
        // Half a range ahead still counts as ahead; beyond it, as behind.
        #expect(unwrapper.peek(2 &+ 32_767) == 65_538 + 32_767)
        #expect(unwrapper.peek(2 &+ 32_768) == 65_538 - 32_768)
    }

    @Test func twentyFourBitUnwrapFollowsTheReferenceTime() {
        var unwrapper = WrappingCounterUnwrapper(bits: 24)
        #expect(unwrapper.unwrap(0xFF_FFFE) == 0xFF_FFFE)
        #expect(unwrapper.unwrap(0x00_0001) == 0x100_0001)
        // Bits above 24 (a sign-extended field) are ignored.
        #expect(unwrapper.unwrap(0xFFFF_FFFF_FF00_0002) == 0x100_0002)
        #expect(unwrapper.unwrap(0xFF_FFFF) == 0xFF_FFFF)  // reordered feedback from before the wrap
    }

    @Test func historyRemembersAcrossTheWrapAndForgetsOldLaps() {
        var history = SentPacketHistory(capacity: 64)
        #expect(history.capacity == 64)
        #expect(history.entry(0) == nil)
        var sequenceNumber: UInt16 = 65_500
        var unwrapped: [Int64] = []
        for index in 0..<100 {
            unwrapped.append(history.record(
                sequenceNumber: sequenceNumber, sendTime: Int64(index) * 1000, size: 1000 + index,
                probeCluster: index == 99 ? 7 : nil))
            sequenceNumber &+= 1
        }
        #expect(unwrapped.first == 65_500)
        #expect(unwrapped.last == 65_599)
        #expect(history.newestSequenceNumber == 65_599)
        #expect(history.unwrap(63) == 65_599)  // 65_599 mod 65_536
        let newest = history.entry(65_599)
        #expect(newest?.size == 1099)
        #expect(newest?.sendTime == 99_000)
        #expect(newest?.probeCluster == 7)
        #expect(history.entry(65_598)?.probeCluster == -1)
        // 100 packets into 64 slots: the first 36 were overwritten by the next lap.
        #expect(history.entry(65_535) == nil)
        #expect(history.entry(65_536)?.size == 1036)
        #expect(history.entry(65_600) == nil)  // never sent
        #expect(history.entry(-1) == nil)
    }

    @Test func hostileSizesAndClusterIdsAreClamped() {
        var history = SentPacketHistory(capacity: 64)
        history.record(sequenceNumber: 1, sendTime: 0, size: -5, probeCluster: Int.max)
        history.record(sequenceNumber: 2, sendTime: 0, size: Int.max, probeCluster: -20)
        #expect(history.entry(1)?.size == 0)
        #expect(history.entry(1)?.probeCluster == -1)
        #expect(history.entry(2)?.size == Int32.max)
        #expect(history.entry(2)?.probeCluster == -1)
    }

    /// Memory follows the packet rate: a leg whose feedback comes back keeps the small ring; one sending
    /// faster than the ring covers (packets still pending, sent within the retention) doubles it, up to
    /// its capacity, and every remembered packet is still found after each growth.
    @Test func theRingGrowsOnlyForPacketsStillAwaitingRecentFeedback() {
        var answered = SentPacketHistory()
        #expect(answered.capacity == SentPacketHistory.initialCapacity)
        for index in 0..<2_000 {
            let unwrapped = answered.record(sequenceNumber: UInt16(index), sendTime: Int64(index) * 5_000_000, size: 1_200)
            answered.setFeedback(.received, for: unwrapped)
        }
        #expect(answered.capacity == SentPacketHistory.initialCapacity)

        // 1,000 packets/s and no feedback yet: 2 s of them need 2,048 slots.
        var fast = SentPacketHistory()
        for index in 0..<3_000 {
            fast.record(sequenceNumber: UInt16(index), sendTime: Int64(index) * 1_000_000, size: 1_000 + index % 7)
            if index == 300 { #expect(fast.capacity == 512) }
        }
        #expect(fast.capacity == 2_048)
        #expect(fast.entry(2_999)?.size == Int32(1_000 + 2_999 % 7))
        #expect(fast.entry(1_000)?.sendTime == 1_000_000_000)
        #expect(fast.entry(900) == nil, "overwritten: older than the ring once it stopped growing")

        // Never past its capacity, however fast and silent the leg.
        var capped = SentPacketHistory(capacity: 128)
        for index in 0..<1_000 { capped.record(sequenceNumber: UInt16(index), sendTime: 0, size: 100) }
        #expect(capped.capacity == 128)
        #expect(capped.entry(999) != nil && capped.entry(871) == nil)
    }
}

/// The acknowledged-rate window grows with the arrival rate and measures the same across each growth.
@Suite struct AcknowledgedBitrateRingTests {
    @Test func aFastLegGrowsTheRingAndASlowOneKeepsItSmall() {
        var fast = AcknowledgedBitrateEstimator()
        // 4,000 packets/s of 1,000 bytes for a second: 32 Mbit/s, 2,000 arrivals in the 500-ms window.
        for index in 0..<4_000 { fast.add(arrivalTime: Int64(index) * 250_000, size: 1_000) }
        #expect(fast.ringCapacity == 2_048)
        #expect((31_990_000...32_010_000).contains(fast.bitrate ?? 0))
        var slow = AcknowledgedBitrateEstimator()
        // 50 packets/s: 25 arrivals in the window.
        for index in 0..<500 { slow.add(arrivalTime: Int64(index) * 20_000_000, size: 1_250) }
        #expect(slow.ringCapacity == 64)
        #expect((499_500...500_500).contains(slow.bitrate ?? 0))
    }
}
