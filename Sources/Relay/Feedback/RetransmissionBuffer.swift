/// The last packets of one published video track, kept so the relay can answer a subscriber's NACK
/// (RFC 4585 §6.2.1) itself instead of asking the publisher: the subscriber's loss is usually on its
/// own leg, and the publisher may already have dropped the packet.
///
/// Sized by time, not by a fixed count: a packet is kept for `retention` (1 s, or 3 round trips of the
/// slowest subscriber that reported one, at most 3 s; libwebrtc's packet history keeps max(1 s, 3 RTT)).
/// The ring starts small and doubles when storing would overwrite a packet younger than that, up to
/// `maxCapacity`, so a 1 Mbit/s camera keeps about 256 packets (384 KB) and a 5 Mbit/s screen share 1,024.
/// Growing allocates and copies, a few times in a track's life; storing and looking up never allocate.
/// Packets are stored decrypted.
final class RetransmissionBuffer {
    static let slotSize = 1_500
    static let initialCapacity = 128
    /// 1.5 MB per track: a second of 10 Mbit/s, whatever a publisher sends.
    static let maxCapacity = 1_024
    static let minimumRetention: Int64 = 1_000_000_000
    static let maximumRetention: Int64 = 3_000_000_000

    private var storage: UnsafeMutableRawBufferPointer
    private var sequenceNumbers: [UInt16]
    private var lengths: [Int]
    /// When each slot was stored (engine nanoseconds).
    private var storedAt: [Int64]
    private var mask: Int
    private let maxCapacity: Int
    /// How long a packet must stay answerable.
    private(set) var retention = RetransmissionBuffer.minimumRetention

    var capacity: Int { mask + 1 }

    /// Capacities are rounded up to a power of two so a sequence number maps to a slot with a mask.
    init(capacity: Int = initialCapacity, maxCapacity: Int = RetransmissionBuffer.maxCapacity) {
        let size = Self.powerOfTwo(atLeast: capacity)
        self.maxCapacity = max(size, Self.powerOfTwo(atLeast: maxCapacity))
        storage = .allocate(byteCount: size * Self.slotSize, alignment: 16)
        sequenceNumbers = Array(repeating: 0, count: size)
        lengths = Array(repeating: 0, count: size)
        storedAt = Array(repeating: 0, count: size)
        mask = size - 1
    }

    deinit { storage.deallocate() }

    /// A subscriber's round trip (nanoseconds): NACKs for the packets it lost come back about one round
    /// trip later, and again after each unanswered one.
    func noteRoundTrip(_ nanoseconds: Int64) {
        let wanted = min(max(nanoseconds, 0), Self.maximumRetention / 3) * 3
        retention = min(max(retention, wanted), Self.maximumRetention)
    }

    /// Returns whether the ring grew to make room.
    @discardableResult
    func store(_ packet: UnsafeRawBufferPointer, sequenceNumber: UInt16, now: Int64) -> Bool {
        guard packet.count <= Self.slotSize else { return false }
        var slot = Int(sequenceNumber) & mask
        var grew = false
        if lengths[slot] > 0, sequenceNumbers[slot] != sequenceNumber, now &- storedAt[slot] < retention,
            capacity < maxCapacity
        {
            grow()
            grew = true
            slot = Int(sequenceNumber) & mask
        }
        let start = slot * Self.slotSize
        UnsafeMutableRawBufferPointer(rebasing: storage[start..<start + packet.count]).copyMemory(from: packet)
        sequenceNumbers[slot] = sequenceNumber
        lengths[slot] = packet.count
        storedAt[slot] = now
        return grew
    }

    /// The stored packet with this sequence number, if it has not been overwritten.
    func packet(sequenceNumber: UInt16) -> UnsafeRawBufferPointer? {
        let slot = Int(sequenceNumber) & mask
        guard lengths[slot] > 0, sequenceNumbers[slot] == sequenceNumber else { return nil }
        let start = slot * Self.slotSize
        return UnsafeRawBufferPointer(rebasing: storage[start..<start + lengths[slot]])
    }

    /// Doubles the ring. Two packets in distinct old slots differ modulo the old size, so they land in
    /// distinct new slots.
    private func grow() {
        let size = capacity * 2
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: size * Self.slotSize, alignment: 16)
        var numbers = [UInt16](repeating: 0, count: size)
        var newLengths = [Int](repeating: 0, count: size)
        var times = [Int64](repeating: 0, count: size)
        for old in 0..<capacity where lengths[old] > 0 {
            let slot = Int(sequenceNumbers[old]) & (size - 1)
            UnsafeMutableRawBufferPointer(rebasing: larger[slot * Self.slotSize..<slot * Self.slotSize + lengths[old]])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[old * Self.slotSize..<old * Self.slotSize + lengths[old]]))
            numbers[slot] = sequenceNumbers[old]
            newLengths[slot] = lengths[old]
            times[slot] = storedAt[old]
        }
        storage.deallocate()
        storage = larger
        sequenceNumbers = numbers
        lengths = newLengths
        storedAt = times
        mask = size - 1
    }

    private static func powerOfTwo(atLeast count: Int) -> Int {
        var size = 1
        while size < count && size < 1 << 20 { size <<= 1 }
        return size
    }
}
