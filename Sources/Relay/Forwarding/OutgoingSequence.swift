import RTP

/// A consumer's sequence numbering when it forwards only some of a source's packets: padding-only
/// probes, temporal layers above the subscriber's limit and the other simulcast layers are skipped, and
/// the subscriber must still see consecutive numbers (a gap is a loss it would NACK and conceal).
///
/// A packet newer than any seen takes `source + delta`; skipping one such packet lowers `delta` by one.
/// A late packet (a repair, reordering) is numbered as it would have been in order: the skips recorded
/// since it count back. Skips are kept in a small ring; a late packet older than what the ring covers,
/// or older than the last restart, cannot be placed and is dropped. Fixed storage; never allocates.
struct OutgoingSequence {
    static let skipCapacity = 128

    /// Added to a source number newer than `highest`.
    private(set) var delta: UInt16 = 0
    /// The newest source number seen (forwarded or skipped) since the last restart.
    private(set) var highest: UInt16 = 0
    /// Late packets at or before this source number cannot be placed.
    private var floor: UInt16 = 0
    /// Recently skipped source numbers, oldest first from `skipStart`.
    private var skipped: [UInt16]
    private var skipStart = 0
    private var skipCount = 0

    init() {
        skipped = Array(repeating: 0, count: Self.skipCapacity)
    }

    /// The next packet, source number `source`, is to become `next` on the subscriber's side: numbering
    /// restarts there (a new source or layer).
    mutating func restart(source: UInt16, next: UInt16) {
        delta = next &- source
        highest = source &- 1
        floor = source &- 1
        skipCount = 0
        skipStart = 0
    }

    /// The subscriber's number for a forwarded source packet, or nil when it cannot be placed.
    mutating func map(_ source: UInt16) -> UInt16? {
        if RTPSequenceNumber.isNewer(source, than: highest) {
            highest = source
            return source &+ delta
        }
        guard RTPSequenceNumber.isNewer(source, than: floor) else { return nil }
        var later: UInt16 = 0
        for index in 0..<skipCount {
            let skip = skipped[(skipStart + index) % Self.skipCapacity]
            if skip == source { return nil }
            if RTPSequenceNumber.isNewer(skip, than: source) { later &+= 1 }
        }
        return source &+ delta &+ later
    }

    /// A source packet that is not forwarded. Only an in-order skip moves the numbering; a late one
    /// leaves the hole it was given (rare: a probe or layer drop that arrives out of order).
    mutating func skip(_ source: UInt16) {
        guard RTPSequenceNumber.isNewer(source, than: highest) else { return }
        highest = source
        delta &-= 1
        if skipCount == Self.skipCapacity {
            // The oldest skip leaves the ring: late packets before it can no longer be counted.
            floor = skipped[skipStart]
            skipStart = (skipStart + 1) % Self.skipCapacity
            skipCount -= 1
        }
        skipped[(skipStart + skipCount) % Self.skipCapacity] = source
        skipCount += 1
    }
}

/// Which source packet each recent subscriber sequence number carried (and the VP8 picture numbering it
/// was sent with), so a NACK resends the packet the subscriber lost even after skips and layer switches
/// moved the numbering. One ring per video leg, as long as its source's `RetransmissionBuffer` (the
/// consumer grows it when that grows); recording is one store.
///
/// A class over raw storage rather than a struct over an array: it is written for every forwarded video
/// packet, and an array stored in a consumer is checked for uniqueness on every write (0.8% of the relay's
/// CPU in a 250-learner lecture).
final class SentPacketIndex {
    struct Entry: Equatable {
        var layer: Int
        var source: UInt16
        var pictureIDDelta: UInt16
        var tl0Delta: UInt8
    }

    /// Per slot: source number in bits 0...15, subscriber number 16...31, layer 32...38, valid bit 39,
    /// picture ID delta 40...54, TL0PICIDX delta 55...62.
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int

    init(capacity: Int) {
        let size = Self.size(for: capacity)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        mask = size - 1
    }

    deinit { slots.deallocate() }

    /// A power of two of at least `capacity` (at most 2^16: one slot per sequence number).
    private static func size(for capacity: Int) -> Int {
        var size = 1
        while size < capacity && size < 1 << 16 { size <<= 1 }
        return size
    }

    var capacity: Int { mask + 1 }

    /// Re-homes every entry in a ring of at least `capacity` slots; each slot carries its own number.
    func grow(to capacity: Int) {
        guard capacity > self.capacity else { return }
        let size = Self.size(for: capacity)
        let larger = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        larger.initialize(repeating: 0, count: size)
        for index in 0..<self.capacity where slots[index] & (1 << 39) != 0 {
            let slot = slots[index]
            larger[Int(UInt16(truncatingIfNeeded: slot >> 16)) & (size - 1)] = slot
        }
        slots.deallocate()
        slots = larger
        mask = size - 1
    }

    func record(sent: UInt16, source: UInt16, layer: Int, pictureIDDelta: UInt16 = 0, tl0Delta: UInt8 = 0) {
        slots[Int(sent) & mask] = UInt64(source) | UInt64(sent) << 16 | UInt64(layer & 0x7F) << 32 | 1 << 39
            | UInt64(pictureIDDelta & 0x7FFF) << 40 | UInt64(tl0Delta) << 55
    }

    /// What a subscriber sequence number carried, if still remembered.
    func lookup(sent: UInt16) -> Entry? {
        let slot = slots[Int(sent) & mask]
        guard slot & (1 << 39) != 0, UInt16(truncatingIfNeeded: slot >> 16) == sent else { return nil }
        return Entry(
            layer: Int(slot >> 32 & 0x7F), source: UInt16(truncatingIfNeeded: slot),
            pictureIDDelta: UInt16(truncatingIfNeeded: slot >> 40) & 0x7FFF, tl0Delta: UInt8(truncatingIfNeeded: slot >> 55))
    }
}
