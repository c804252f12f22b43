import RTP

/// The video packets a publisher sent, as they left (plain RTP, before SRTP), so it can answer a
/// NACK like a browser's `RtpPacketHistory`. A ring indexed by sequence number: a slot holds the
/// last packet whose number maps to it, so a NACK for anything older than `capacity` packets finds
/// a newer packet there and gets nothing. 1,024 packets are ≈ 7 s of 1.5 Mbit/s VP8: far longer
/// than any retransmission is still useful.
struct RTPPacketHistory {
    static let capacity = 1_024

    private struct Slot {
        var sequenceNumber: UInt16
        var packet: [UInt8]
        /// Times it was sent again.
        var resends = 0
    }

    private var slots: [Slot?] = Array(repeating: nil, count: capacity)

    /// Keeps a packet as sent; one that does not parse is not kept.
    mutating func record(_ packet: [UInt8]) {
        guard packet.count >= RTPHeader.fixedLength, packet[0] >> 6 == 2 else { return }
        let sequenceNumber = UInt16(packet[2]) << 8 | UInt16(packet[3])
        slots[Int(sequenceNumber) % Self.capacity] = Slot(sequenceNumber: sequenceNumber, packet: packet)
    }

    /// The packet sent with `sequenceNumber`, if it is still held, and how often it was sent again
    /// before; counts this resend.
    mutating func resend(_ sequenceNumber: UInt16) -> (packet: [UInt8], resendsBefore: Int)? {
        let index = Int(sequenceNumber) % Self.capacity
        guard var slot = slots[index], slot.sequenceNumber == sequenceNumber else { return nil }
        let before = slot.resends
        slot.resends += 1
        slots[index] = slot
        return (slot.packet, before)
    }
}
