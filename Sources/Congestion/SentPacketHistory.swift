/// What the relay sent on one leg, keyed by transport-wide sequence number, so feedback (which only
/// names sequence numbers and arrival times) can be matched to send times and sizes.
///
/// A fixed ring indexed by the unwrapped sequence number: recording a packet writes one slot and
/// never allocates. Each slot keeps its full unwrapped number, so a stale slot from a previous lap
/// is never mistaken for the packet feedback asks about.
public struct SentPacketHistory: Sendable {
    /// One sent packet.
    public struct Entry: Sendable, Equatable {
        /// Unwrapped transport-wide sequence number; -1 marks an empty slot.
        public var sequenceNumber: Int64
        /// Monotonic nanoseconds.
        public var sendTime: Int64
        public var size: Int32
        /// Probe cluster id, or -1 for media.
        public var probeCluster: Int32
        public var feedback: FeedbackState

        static let empty = Entry(sequenceNumber: -1, sendTime: 0, size: 0, probeCluster: -1, feedback: .pending)
    }

    /// What feedback has said about a packet so far; feedback may repeat or contradict itself.
    public enum FeedbackState: UInt8, Sendable {
        case pending
        case reportedLost
        case received
    }

    /// The largest ring, a power of two: 4 s at 1,000 packets/s (10 Mbit/s of 1200-byte packets), far
    /// longer than feedback takes; 128 KiB.
    public static let defaultCapacity = 4096
    /// The ring starts at 256 entries (8 KiB: 1.7 s of a 1 Mbit/s leg) and doubles only when it would
    /// overwrite a packet still awaiting feedback that was sent within `retention`: memory follows the leg's
    /// packet rate instead of being the worst case for every learner.
    public static let initialCapacity = 256
    public static let retention: Int64 = 2_000_000_000

    private var entries: ContiguousArray<Entry>
    private var mask: Int64
    private let maximumCapacity: Int
    private var unwrapper = WrappingCounterUnwrapper(bits: 16)

    /// The newest unwrapped sequence number sent, or `nil` before the first packet.
    public var newestSequenceNumber: Int64? { unwrapper.last }
    public var capacity: Int { entries.count }

    /// - Parameter capacity: the most the ring grows to, rounded up to a power of two, at least 64.
    public init(capacity: Int = SentPacketHistory.defaultCapacity) {
        var size = 64
        while size < capacity && size < 1 << 20 { size <<= 1 }
        maximumCapacity = size
        let initial = min(size, Self.initialCapacity)
        entries = ContiguousArray(repeating: .empty, count: initial)
        mask = Int64(initial - 1)
    }

    /// Records a sent packet and returns its unwrapped sequence number.
    @discardableResult
    public mutating func record(sequenceNumber: UInt16, sendTime: Int64, size: Int, probeCluster: Int? = nil) -> Int64 {
        let unwrapped = unwrapper.unwrap(UInt64(sequenceNumber))
        let cluster = probeCluster.flatMap { Int32(exactly: $0) }.map { max($0, -1) } ?? -1
        let displaced = entries[slot(unwrapped)]
        if displaced.sequenceNumber >= 0, displaced.sequenceNumber < unwrapped, displaced.feedback == .pending,
            sendTime.saturatingSubtract(displaced.sendTime) < Self.retention, entries.count < maximumCapacity
        {
            grow()
        }
        entries[slot(unwrapped)] = Entry(
            sequenceNumber: unwrapped, sendTime: sendTime, size: Int32(clamping: max(size, 0)),
            probeCluster: cluster, feedback: .pending)
        return unwrapped
    }

    /// The unwrapped number a 16-bit sequence number from feedback most likely means: the one nearest
    /// the newest sent.
    public func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        unwrapper.peek(UInt64(sequenceNumber))
    }

    /// The entry for an unwrapped sequence number, if it was sent and is still remembered.
    public func entry(_ sequenceNumber: Int64) -> Entry? {
        guard sequenceNumber >= 0 else { return nil }
        let entry = entries[slot(sequenceNumber)]
        return entry.sequenceNumber == sequenceNumber ? entry : nil
    }

    /// Updates what feedback said about a remembered packet.
    mutating func setFeedback(_ state: FeedbackState, for sequenceNumber: Int64) {
        guard sequenceNumber >= 0 else { return }
        let index = slot(sequenceNumber)
        if entries[index].sequenceNumber == sequenceNumber { entries[index].feedback = state }
    }

    /// Doubles the ring, each remembered packet moving to its slot in the larger one.
    private mutating func grow() {
        var larger = ContiguousArray(repeating: Entry.empty, count: entries.count * 2)
        let largerMask = Int64(larger.count - 1)
        for entry in entries where entry.sequenceNumber >= 0 {
            larger[Int(entry.sequenceNumber & largerMask)] = entry
        }
        entries = larger
        mask = largerMask
    }

    @inline(__always)
    private func slot(_ sequenceNumber: Int64) -> Int { Int(sequenceNumber & mask) }
}
