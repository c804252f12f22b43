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

    /// Ring capacity, a power of two: 4 s at 1,000 packets/s (10 Mbit/s of 1200-byte packets), far
    /// longer than feedback takes; 128 KB per leg.
    public static let defaultCapacity = 4096

    private var entries: ContiguousArray<Entry>
    private let mask: Int64
    private var unwrapper = WrappingCounterUnwrapper(bits: 16)

    /// The newest unwrapped sequence number sent, or `nil` before the first packet.
    public var newestSequenceNumber: Int64? { unwrapper.last }
    public var capacity: Int { entries.count }

    /// - Parameter capacity: rounded up to a power of two, at least 64.
    public init(capacity: Int = SentPacketHistory.defaultCapacity) {
        var size = 64
        while size < capacity && size < 1 << 20 { size <<= 1 }
        entries = ContiguousArray(repeating: .empty, count: size)
        mask = Int64(size - 1)
    }

    /// Records a sent packet and returns its unwrapped sequence number.
    @discardableResult
    public mutating func record(sequenceNumber: UInt16, sendTime: Int64, size: Int, probeCluster: Int? = nil) -> Int64 {
        let unwrapped = unwrapper.unwrap(UInt64(sequenceNumber))
        let cluster = probeCluster.flatMap { Int32(exactly: $0) }.map { max($0, -1) } ?? -1
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

    @inline(__always)
    private func slot(_ sequenceNumber: Int64) -> Int { Int(sequenceNumber & mask) }
}
