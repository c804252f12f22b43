/// Generic NACK, RTPFB FMT 1 (RFC 4585 §6.2.1). A view borrowing the packet's memory.
public struct GenericNack {
    public static let format: UInt8 = 1

    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let pairs: Pairs

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (ssrcs, fci) = try FeedbackSSRCs.parse(packet, type: .transportFeedback, format: Self.format)
        guard fci.count % NackPair.size == 0 else { throw .malformedBody }
        senderSSRC = ssrcs.sender
        mediaSSRC = ssrcs.media
        pairs = Pairs(bytes: fci)
    }

    /// All lost sequence numbers, entry by entry, expanded lazily.
    public var lostSequenceNumbers: LostSequenceNumbers {
        LostSequenceNumbers(pairs: pairs)
    }

    public struct LostSequenceNumbers: Sequence {
        let pairs: Pairs

        public func makeIterator() -> Iterator {
            Iterator(pairs: pairs)
        }

        public struct Iterator: IteratorProtocol {
            let pairs: Pairs
            var nextPair = 0
            var current: NackPair.LostSequenceNumbers.Iterator?

            public mutating func next() -> UInt16? {
                while true {
                    if let sequenceNumber = current?.next() { return sequenceNumber }
                    guard nextPair < pairs.endIndex else { return nil }
                    current = pairs[nextPair].lostSequenceNumbers.makeIterator()
                    nextPair += 1
                }
            }
        }
    }

    /// FCI entries decoded on access.
    public struct Pairs: RandomAccessCollection {
        let bytes: UnsafeRawBufferPointer

        public var startIndex: Int { 0 }
        public var endIndex: Int { bytes.count / NackPair.size }

        public subscript(position: Int) -> NackPair {
            precondition(position >= 0 && position < endIndex, "NACK entry index out of range")
            let offset = position * NackPair.size
            return NackPair(packetID: bytes.readUInt16(at: offset), lostBitmask: bytes.readUInt16(at: offset + 2))
        }
    }

    public static func encodedLength(pairCount: Int) -> Int {
        FeedbackSSRCs.prefixLength + pairCount * NackPair.size
    }

    /// Encodes explicit FCI entries.
    ///
    /// Inlinable (around two non-generic steps) so the caller's sequence type is specialized and
    /// the relay can emit NACKs without allocating.
    /// - Returns: bytes written.
    @inlinable
    public static func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, pairs: some Sequence<NackPair>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        // Entries first, header last: a lazy `pairs` has no count up front.
        var count = 0
        for pair in pairs {
            try writeEntry(pair, at: count, into: buffer)
            count += 1
        }
        return try writeHeader(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairCount: count, into: buffer)
    }

    @usableFromInline
    static func writeEntry(_ pair: NackPair, at index: Int, into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) {
        let offset = FeedbackSSRCs.prefixLength + index * NackPair.size
        try ensureCapacity(buffer, offset + NackPair.size)
        buffer.writeUInt16(pair.packetID, at: offset)
        buffer.writeUInt16(pair.lostBitmask, at: offset + 2)
    }

    @usableFromInline
    static func writeHeader(
        senderSSRC: UInt32, mediaSSRC: UInt32, pairCount: Int, into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let length = encodedLength(pairCount: pairCount)
        try ensureCapacity(buffer, length)
        try FeedbackSSRCs.write(
            type: .transportFeedback, format: format, packetLength: length,
            sender: senderSSRC, media: mediaSSRC, into: buffer)
        return length
    }

    /// Packs sorted lost sequence numbers into minimal entries and encodes them, without allocating.
    /// - Returns: bytes written.
    @inlinable
    public static func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: some Sequence<UInt16>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        try write(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: NackPair.packing(lostSequenceNumbers),
            into: buffer)
    }

    public static func build(
        senderSSRC: UInt32, mediaSSRC: UInt32, pairs: some Collection<NackPair>
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(pairCount: pairs.count)) { buffer throws(RTCPError) in
            try write(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: pairs, into: buffer)
        }
    }

    public static func build(
        senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: some Sequence<UInt16>
    ) throws(RTCPError) -> [UInt8] {
        try build(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: Array(NackPair.packing(lostSequenceNumbers)))
    }
}
