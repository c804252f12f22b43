/// One block of an RFC 2198 redundant audio (RED) payload.
public struct RedundantAudioBlock: Sendable, Equatable, Hashable {
    /// The block's own payload type, e.g. Opus's.
    public let payloadType: UInt8
    /// How many timestamp units this block's audio lies before the packet's timestamp
    /// (14 bits); 0 for the primary block, whose timestamp is the packet's.
    public let timestampOffset: UInt16
    /// The block's encoded audio, relative to the start of the parsed buffer.
    public let range: Range<Int>
    /// The last block: the newest encoding, the one a receiver without RED wants.
    public let isPrimary: Bool

    public init(payloadType: UInt8, timestampOffset: UInt16, range: Range<Int>, isPrimary: Bool) {
        self.payloadType = payloadType
        self.timestampOffset = timestampOffset
        self.range = range
        self.isPrimary = isPrimary
    }
}

/// A validated RFC 2198 RED payload (RFC 2198 §3).
///
/// The payload starts with one header per block: 4 bytes (F=1, block PT, 14-bit timestamp
/// offset, 10-bit block length) for each redundant block, then 1 byte (F=0, block PT) for the
/// primary. The blocks' data follow in the same order; the primary's runs to the payload's end.
/// Parsing checks every length against the payload, so a malformed payload throws and the
/// ranges it yields are in bounds. A subscriber that did not negotiate RED gets the primary
/// block re-wrapped as a plain packet (`extractPrimary`).
public struct RedundantAudio: Sendable, Equatable, Hashable {
    /// The newest encoding; it may be empty (RFC 2198 does not forbid it), which the caller can
    /// treat as nothing to forward.
    public let primary: RedundantAudioBlock
    /// Number of redundant (older) blocks before the primary.
    public let redundantBlockCount: Int
    private let payloadRange: Range<Int>
    private let dataStart: Int

    /// Parses the payload in `packet[payloadRange]` (an `RTPHeader`'s `payloadRange`), so block
    /// ranges are relative to `packet`.
    /// - Throws: `.truncated` for an empty payload, a header chain that runs past the payload
    ///   without an F=0 header, or block lengths adding up to more than the payload holds.
    public init(parsing packet: UnsafeRawBufferPointer, payloadRange: Range<Int>) throws(RTPError) {
        guard payloadRange.lowerBound >= 0, payloadRange.upperBound <= packet.count else { throw .truncated }
        let end = payloadRange.upperBound
        var offset = payloadRange.lowerBound
        var redundantBytes = 0
        var count = 0
        while true {
            guard offset < end else { throw .truncated }
            let first = packet[offset]
            if first & 0x80 == 0 {
                offset += 1
                let primaryStart = offset + redundantBytes
                guard primaryStart <= end else { throw .truncated }
                primary = RedundantAudioBlock(
                    payloadType: first & 0x7F, timestampOffset: 0, range: primaryStart..<end, isPrimary: true)
                break
            }
            guard end - offset >= 4 else { throw .truncated }
            redundantBytes += Int(packet.readUInt16(at: offset + 2) & 0x03FF)
            count += 1
            offset += 4
        }
        redundantBlockCount = count
        self.payloadRange = payloadRange
        dataStart = offset
    }

    /// Parses a whole buffer as a RED payload; ranges are relative to `payload`.
    public init(parsing payload: UnsafeRawBufferPointer) throws(RTPError) {
        try self.init(parsing: payload, payloadRange: 0..<payload.count)
    }

    /// Every block in packet order, oldest redundant block first and the primary last. `packet`
    /// must be the buffer this was parsed from.
    public func blocks(in packet: UnsafeRawBufferPointer) -> RedundantAudioBlocks {
        RedundantAudioBlocks(
            packet: packet, headerOffset: payloadRange.lowerBound, dataOffset: dataStart,
            end: min(payloadRange.upperBound, packet.count))
    }

    /// Turns the RED packet in `packet` into a plain packet of its primary encoding, in place:
    /// the primary block becomes the whole payload and its payload type the packet's; timestamp,
    /// marker, sequence number, SSRC, CSRCs and header extensions stay. The RED packet's padding
    /// is dropped and the P bit cleared. Returns the new length and payload type.
    public static func extractPrimary(
        _ packet: UnsafeMutableRawBufferPointer
    ) throws(RTPError) -> (length: Int, payloadType: UInt8) {
        let bytes = UnsafeRawBufferPointer(packet)
        let header = try RTPHeader(parsing: bytes)
        let primary = try RedundantAudio(parsing: bytes, payloadRange: header.payloadRange).primary
        let start = header.headerLength
        packet.move(from: bytes, range: primary.range, to: start)
        packet[0] &= ~0x20
        packet[1] = (packet[1] & 0x80) | primary.payloadType
        return (start + primary.range.count, primary.payloadType)
    }
}

/// Walks the blocks of a parsed RED payload without allocating. Borrows the packet buffer.
public struct RedundantAudioBlocks: Sequence, IteratorProtocol {
    private let packet: UnsafeRawBufferPointer
    private var headerOffset: Int
    private var dataOffset: Int
    private let end: Int
    private var done = false

    init(packet: UnsafeRawBufferPointer, headerOffset: Int, dataOffset: Int, end: Int) {
        self.packet = packet
        self.headerOffset = headerOffset
        self.dataOffset = dataOffset
        self.end = end
    }

    public mutating func next() -> RedundantAudioBlock? {
        // Parsing validated the layout; the checks here only guard against a different buffer.
        guard !done, headerOffset >= 0, headerOffset < end else { return nil }
        let first = packet[headerOffset]
        if first & 0x80 == 0 {
            done = true
            guard dataOffset <= end else { return nil }
            return RedundantAudioBlock(payloadType: first & 0x7F, timestampOffset: 0, range: dataOffset..<end, isPrimary: true)
        }
        guard end - headerOffset >= 4 else { return finish() }
        let offsetAndLength = packet.readUInt32(at: headerOffset) & 0x00FF_FFFF
        let length = Int(offsetAndLength & 0x03FF)
        guard dataOffset + length <= end else { return finish() }
        let block = RedundantAudioBlock(
            payloadType: first & 0x7F, timestampOffset: UInt16(offsetAndLength >> 10),
            range: dataOffset..<(dataOffset + length), isPrimary: false)
        headerOffset += 4
        dataOffset += length
        return block
    }

    private mutating func finish() -> RedundantAudioBlock? {
        done = true
        return nil
    }
}
