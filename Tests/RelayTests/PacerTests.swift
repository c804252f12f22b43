import Testing

@testable import Relay

/// The pacer spreads a burst at 2.5× the estimate, never drops, and costs nothing unpaced.
@Suite struct PacerTests {
    static let ms: Int64 = 1_000_000

    @Test func unpacedEverythingGoesAtOnce() {
        var pacer = Pacer()
        for i in 0..<1_000 {
            let admitted = pacer.admit(size: 1_200, now: Int64(i))
            #expect(admitted)
        }
        #expect(pacer.nextSendTime() == nil)
    }

    /// A 60-packet keyframe on a 500 kbit/s estimate (pacing 1.25 Mbit/s) leaves over ~460 ms, at the
    /// pacing rate throughout, in order.
    @Test func aKeyframeBurstLeavesAtThePacingRateInOrder() throws {
        let pool = PacketPool(capacity: 128)
        var pacer = Pacer()
        pacer.setEstimate(500_000, now: 0)
        var sentAt: [(Int64, UInt8)] = []
        for index in 0..<60 {
            let packet = [UInt8](repeating: UInt8(index), count: 1_200)
            if pacer.admit(size: packet.count, now: 0) {
                sentAt.append((0, UInt8(index)))
            } else {
                let slot = try #require(packet.withUnsafeBytes { pool.store($0) })
                pacer.enqueue(slot, pool: pool)
            }
        }
        #expect(sentAt.count <= 2, "only the burst allowance goes at once")
        var now: Int64 = 0
        while let next = pacer.nextSendTime() {
            now = max(now, next)
            while let slot = pacer.dequeue(now: now, pool: pool) {
                sentAt.append((now, pool.bytes(slot)[0]))
                pool.release(slot)
            }
        }
        #expect(sentAt.map(\.1) == (0..<60).map { UInt8($0) })
        #expect(pool.inUse == 0)
        let duration = Double(sentAt.last?.0 ?? 0) / 1e9
        let expected = Double(58 * 1_200 * 8) / 1_250_000
        #expect(abs(duration - expected) < 0.03, "took \(duration) s, expected ~\(expected) s")
        // Over any 100 ms, no more than the pacing rate's worth (plus one burst).
        for (start, _) in sentAt {
            let window = sentAt.filter { $0.0 >= start && $0.0 < start + 100 * Self.ms }.count * 1_200
            #expect(window <= 1_250_000 / 8 / 10 + 1_250_000 / 8 / 25 + 1_200)
        }
    }

    /// After a quiet spell the bucket holds 40 ms at the pacing rate (6.25 kB at 1.25 Mbit/s): a small
    /// keyframe leaves at once, the rest of a large one is spread; never more than 63 kB at once.
    @Test func aBurstAfterAQuietSpellIsFortyMillisecondsAtThePacingRate() {
        var pacer = Pacer()
        pacer.setEstimate(500_000, now: 0)
        var admitted = 0
        while pacer.admit(size: 1_200, now: 1_000 * Self.ms) { admitted += 1 }
        #expect(admitted == 6, "6.25 kB of tokens: five whole packets and one taking the bucket below zero")
        var fast = Pacer()
        fast.setEstimate(1_000_000_000, now: 0)
        var bytes = 0
        while fast.admit(size: 1_200, now: 1_000 * Self.ms) { bytes += 1_200 }
        #expect(bytes <= 63_000 + 1_200)
    }

    @Test func frequentRefillsAtALowRateLoseNothing() {
        var pacer = Pacer()
        pacer.setEstimate(100_000, now: 0)  // 31,250 B/s paced
        var sent = 0
        var now: Int64 = 0
        while now < 2_000 * Self.ms {
            if pacer.admit(size: 100, now: now) { sent += 100 }
            now += 37_000  // every 37 µs
        }
        #expect(abs(Double(sent) - 62_500) < 62_500 * 0.02, "sent \(sent) B in 2 s")
    }

    @Test func stoppingPacingReleasesTheQueueAtOnce() throws {
        let pool = PacketPool(capacity: 8)
        var pacer = Pacer()
        pacer.setEstimate(100_000, now: 0)
        _ = pacer.admit(size: 5_000, now: 0)
        for _ in 0..<3 {
            let slot = try #require([UInt8](repeating: 1, count: 100).withUnsafeBytes { pool.store($0) })
            pacer.enqueue(slot, pool: pool)
        }
        #expect(pacer.nextSendTime().map { $0 > 0 } == true)
        pacer.setEstimate(nil, now: 1)
        #expect(pacer.nextSendTime().map { $0 <= 1 } == true)
        var count = 0
        while let slot = pacer.dequeue(now: 1, pool: pool) { pool.release(slot); count += 1 }
        #expect(count == 3 && pool.inUse == 0)
    }

    @Test func aFullPoolRefusesAndDroppingALegFreesItsSlots() throws {
        let pool = PacketPool(capacity: 2)
        var pacer = Pacer()
        let bytes = [UInt8](repeating: 7, count: 10)
        for _ in 0..<2 { pacer.enqueue(try #require(bytes.withUnsafeBytes { pool.store($0) }), pool: pool) }
        #expect(bytes.withUnsafeBytes { pool.store($0) } == nil)
        #expect([UInt8](repeating: 0, count: PacketPool.slotSize + 1).withUnsafeBytes { pool.store($0) } == nil)
        pacer.drop(pool: pool)
        #expect(pool.inUse == 0 && pacer.isEmpty)
        #expect(bytes.withUnsafeBytes { pool.store($0) } != nil)
    }

    @Test func anAbsurdEstimateNeitherTrapsNorStalls() {
        var pacer = Pacer()
        pacer.setEstimate(.max, now: 0)
        var sent = 0
        for step in 1...100 where pacer.admit(size: 1_200, now: Int64(step) * 2_000_000_000) { sent += 1 }
        #expect(sent == 100)
    }
}
