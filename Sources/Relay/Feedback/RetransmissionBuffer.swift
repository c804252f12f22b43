/// The last packets of one published video track, kept so the relay can answer a subscriber's NACK
/// (RFC 4585 §6.2.1) itself instead of asking the publisher: the subscriber's loss is usually on its
/// own leg, and the publisher may already have dropped the packet.
///
/// One allocation at creation; storing and looking up never allocate. Packets are stored decrypted.
final class RetransmissionBuffer {
    static let slotSize = 1_500
    static let defaultCapacity = 512

    private let storage: UnsafeMutableRawBufferPointer
    private var sequenceNumbers: [UInt16]
    private var lengths: [Int]
    private let mask: Int

    /// `capacity` is rounded up to a power of two so a sequence number maps to a slot with a mask.
    init(capacity: Int = defaultCapacity) {
        var size = 1
        while size < capacity { size <<= 1 }
        storage = .allocate(byteCount: size * Self.slotSize, alignment: 16)
        sequenceNumbers = Array(repeating: 0, count: size)
        lengths = Array(repeating: 0, count: size)
        mask = size - 1
    }

    deinit { storage.deallocate() }

    func store(_ packet: UnsafeRawBufferPointer, sequenceNumber: UInt16) {
        guard packet.count <= Self.slotSize else { return }
        let slot = Int(sequenceNumber) & mask
        let start = slot * Self.slotSize
        UnsafeMutableRawBufferPointer(rebasing: storage[start..<start + packet.count]).copyMemory(from: packet)
        sequenceNumbers[slot] = sequenceNumber
        lengths[slot] = packet.count
    }

    /// The stored packet with this sequence number, if it has not been overwritten.
    func packet(sequenceNumber: UInt16) -> UnsafeRawBufferPointer? {
        let slot = Int(sequenceNumber) & mask
        guard lengths[slot] > 0, sequenceNumbers[slot] == sequenceNumber else { return nil }
        let start = slot * Self.slotSize
        return UnsafeRawBufferPointer(rebasing: storage[start..<start + lengths[slot]])
    }
}
