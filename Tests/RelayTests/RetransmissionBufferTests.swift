import Testing

@testable import Relay

/// The NACK history is sized by time: it grows only when a packet younger than its retention would be
/// overwritten, keeps what it held, and stops at its cap however fast a publisher sends.
@Suite struct RetransmissionBufferTests {
    static let ms: Int64 = 1_000_000

    private func store(_ buffer: RetransmissionBuffer, _ sequenceNumber: UInt16, at time: Int64) {
        let bytes = [UInt8(truncatingIfNeeded: sequenceNumber), UInt8(truncatingIfNeeded: sequenceNumber >> 8), 7]
        bytes.withUnsafeBytes { buffer.store($0, sequenceNumber: sequenceNumber, now: time) }
    }

    private func holds(_ buffer: RetransmissionBuffer, _ sequenceNumber: UInt16) -> Bool {
        guard let packet = buffer.packet(sequenceNumber: sequenceNumber) else { return false }
        return Array(packet) == [UInt8(truncatingIfNeeded: sequenceNumber), UInt8(truncatingIfNeeded: sequenceNumber >> 8), 7]
    }

    @Test func aSlowTrackStaysSmall() {
        let buffer = RetransmissionBuffer()
        // 50 packets/s for 10 s: 128 slots hold 2.5 s, more than the 1-s retention.
        for index in 0..<500 { store(buffer, UInt16(index), at: Int64(index) * 20 * Self.ms) }
        #expect(buffer.capacity == RetransmissionBuffer.initialCapacity)
        #expect(holds(buffer, 499) && holds(buffer, 372) && !holds(buffer, 371))
    }

    @Test func aFastTrackGrowsToHoldOneSecondAndKeepsWhatItHeld() {
        let buffer = RetransmissionBuffer()
        // 400 packets/s (a 4 Mbit/s camera): a second is 400 packets, so the ring doubles to 512.
        for index in 0..<2_000 { store(buffer, UInt16(index), at: Int64(index) * 25 * Self.ms / 10) }
        #expect(buffer.capacity == 512)
        #expect((1_600..<2_000).allSatisfy { holds(buffer, UInt16($0)) })
    }

    @Test func aLongRoundTripKeepsPacketsLonger() {
        let buffer = RetransmissionBuffer()
        buffer.noteRoundTrip(600 * Self.ms)  // 3 round trips: 1.8 s
        #expect(buffer.retention == 1_800 * Self.ms)
        for index in 0..<2_000 { store(buffer, UInt16(index), at: Int64(index) * 5 * Self.ms) }  // 200 packets/s
        #expect(buffer.capacity == 512)  // 360 packets in 1.8 s
        #expect(holds(buffer, 1_999 - 359))
        buffer.noteRoundTrip(10_000 * Self.ms)
        #expect(buffer.retention == RetransmissionBuffer.maximumRetention)
        buffer.noteRoundTrip(10 * Self.ms)  // a shorter one never shortens what a slower subscriber needs
        #expect(buffer.retention == RetransmissionBuffer.maximumRetention)
    }

    @Test func aFloodingPublisherCannotGrowItPastItsCap() {
        let buffer = RetransmissionBuffer()
        buffer.noteRoundTrip(5_000 * Self.ms)
        for index in 0..<70_000 { store(buffer, UInt16(truncatingIfNeeded: index), at: Int64(index) * 1_000) }
        #expect(buffer.capacity == RetransmissionBuffer.maxCapacity)
        #expect(holds(buffer, UInt16(truncatingIfNeeded: 69_999)))
    }

    @Test func theLegsIndexAndDuplicateGuardGrowWithoutLosingEntries() {
        let index = SentPacketIndex(capacity: 128)
        for sent in 0..<128 { index.record(sent: UInt16(sent), source: UInt16(1_000 + sent), layer: 1, pictureIDDelta: 3) }
        index.grow(to: 512)
        #expect(index.capacity == 512)
        #expect((0..<128).allSatisfy { index.lookup(sent: UInt16($0))?.source == UInt16(1_000 + $0) })
        #expect(index.lookup(sent: 0)?.layer == 1 && index.lookup(sent: 0)?.pictureIDDelta == 3)
        #expect(index.lookup(sent: 128) == nil)

        var responder = NackResponder(capacity: 128, share: 1, burstBytes: 100_000)
        #expect(responder.admit(sequenceNumber: 300, bytes: 100, now: 10, window: 1_000, mediaBytesSent: 0) == .resend)
        responder.grow(to: 512)
        #expect(responder.capacity == 512)
        #expect(responder.admit(sequenceNumber: 300, bytes: 100, now: 20, window: 1_000, mediaBytesSent: 0) == .duplicate)
    }
}
