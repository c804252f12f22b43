/// The bytes of packets that wait in the pacers, for every leg of one engine: one slab of fixed-size
/// slots, allocated once, threaded into per-leg FIFOs. Bounded memory whatever the number of legs (a
/// per-leg queue of a keyframe's worth would cost hundreds of MB on a full worker), and no allocation
/// per packet. When the pool is empty a pacer sends at once rather than drop: pacing smooths bursts, it
/// never loses media.
final class PacketPool {
    /// A protected RTP packet never exceeds this (the relay's largest forwarded packet plus SRTP's tag).
    static let slotSize = 2_048
    let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var lengths: [Int]
    /// The transport-wide sequence number each waiting packet carries (-1: none), recorded for the leg's
    /// estimate when the packet actually leaves, since GCC needs true send times.
    private var tags: [Int32]
    /// The next slot in whatever list a slot is on (a leg's queue or the free list); -1 ends a list.
    private var links: [Int32]
    private var freeHead: Int32
    private(set) var inUse = 0

    /// 2,048 slots (4 MB per engine): a hundred keyframes' worth waiting at once.
    init(capacity: Int = 2_048) {
        self.capacity = max(1, capacity)
        storage = .allocate(byteCount: self.capacity * Self.slotSize, alignment: 16)
        // Touched now, so filling the pool mid-lecture takes no page faults on the send path.
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        lengths = Array(repeating: 0, count: self.capacity)
        tags = Array(repeating: -1, count: self.capacity)
        links = (0..<self.capacity).map { Int32($0 + 1) }
        links[self.capacity - 1] = -1
        freeHead = 0
    }

    deinit { storage.deallocate() }

    /// Copies a packet into a free slot; nil when the pool is full or the packet too large for a slot.
    func store(_ packet: UnsafeRawBufferPointer, tag: Int32 = -1) -> Int32? {
        guard freeHead >= 0, packet.count <= Self.slotSize else { return nil }
        let slot = freeHead
        freeHead = links[Int(slot)]
        links[Int(slot)] = -1
        let start = Int(slot) * Self.slotSize
        UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + packet.count)]).copyMemory(from: packet)
        lengths[Int(slot)] = packet.count
        tags[Int(slot)] = tag
        inUse += 1
        return slot
    }

    func bytes(_ slot: Int32) -> UnsafeRawBufferPointer {
        let start = Int(slot) * Self.slotSize
        return UnsafeRawBufferPointer(rebasing: storage[start..<(start + lengths[Int(slot)])])
    }

    func length(_ slot: Int32) -> Int { lengths[Int(slot)] }

    func tag(_ slot: Int32) -> Int32 { tags[Int(slot)] }

    func next(after slot: Int32) -> Int32 { links[Int(slot)] }

    func link(_ slot: Int32, to next: Int32) { links[Int(slot)] = next }

    func release(_ slot: Int32) {
        links[Int(slot)] = freeHead
        freeHead = slot
        inUse -= 1
    }
}
