/// Reception statistics about one source (RFC 3550 §6.4.1).
public struct ReportBlock: Sendable, Equatable, Hashable {
    /// Size of a report block on the wire.
    public static let size = 24
    /// Cumulative loss is a signed 24-bit field; values beyond it saturate (RFC 3550 §6.4.1).
    public static let cumulativeLostRange: ClosedRange<Int32> = -0x80_0000...0x7F_FFFF

    public var ssrc: UInt32
    /// Fraction of packets lost since the last report, as a fixed-point number / 256.
    public var fractionLost: UInt8
    /// Signed: duplicates can make it negative.
    public var cumulativeLost: Int32
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR).
    public var lastSenderReport: UInt32
    /// Delay since that SR in units of 1/65536 s (DLSR).
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0, jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Decodes 24 bytes; the caller has checked the length.
    init(decoding bytes: UnsafeRawBufferPointer, at offset: Int) {
        ssrc = bytes.readUInt32(at: offset)
        fractionLost = bytes[offset + 4]
        // Sign-extend the 24-bit two's complement value.
        let raw = bytes.readUInt24(at: offset + 5)
        cumulativeLost = Int32(bitPattern: raw << 8) >> 8
        extendedHighestSequenceNumber = bytes.readUInt32(at: offset + 8)
        jitter = bytes.readUInt32(at: offset + 12)
        lastSenderReport = bytes.readUInt32(at: offset + 16)
        delaySinceLastSenderReport = bytes.readUInt32(at: offset + 20)
    }

    func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.writeUInt32(ssrc, at: offset)
        buffer[offset + 4] = fractionLost
        let lost = min(max(cumulativeLost, Self.cumulativeLostRange.lowerBound), Self.cumulativeLostRange.upperBound)
        buffer.writeUInt24(UInt32(bitPattern: lost) & 0xFF_FFFF, at: offset + 5)
        buffer.writeUInt32(extendedHighestSequenceNumber, at: offset + 8)
        buffer.writeUInt32(jitter, at: offset + 12)
        buffer.writeUInt32(lastSenderReport, at: offset + 16)
        buffer.writeUInt32(delaySinceLastSenderReport, at: offset + 20)
    }
}

/// Report blocks of an SR or RR, decoded lazily on access.
public struct ReportBlocks: RandomAccessCollection {
    let bytes: UnsafeRawBufferPointer
    public let count: Int

    init(bytes: UnsafeRawBufferPointer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> ReportBlock {
        precondition(position >= 0 && position < count, "report block index out of range")
        return ReportBlock(decoding: bytes, at: position * ReportBlock.size)
    }

    /// The `count` blocks starting at `offset`, once checked to fit in `body`.
    static func parse(
        _ body: UnsafeRawBufferPointer, at offset: Int, count: Int
    ) throws(RTCPError) -> ReportBlocks {
        let end = offset + count * ReportBlock.size
        guard end <= body.count else { throw .malformedBody }
        return ReportBlocks(bytes: body.slice(offset..<end), count: count)
    }
}

extension Collection<ReportBlock> {
    /// Writes the blocks back to back; the caller has checked capacity.
    func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        var position = offset
        for block in self {
            block.encode(into: buffer, at: position)
            position += ReportBlock.size
        }
    }
}
