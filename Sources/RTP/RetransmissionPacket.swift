/// RFC 4588 retransmission (RTX) packets: an original packet re-sent on its own SSRC, payload type
/// and sequence space, its payload prefixed by the original sequence number (OSN, RFC 4588 §4).
///
/// RTX keeps loss repair out of the media stream's statistics: a receiver can tell a repair from a
/// late original. Both directions work on caller-provided buffers and never allocate.
public enum RetransmissionPacket {
    /// Bytes the OSN adds in front of the original payload.
    public static let originalSequenceNumberLength = 2

    /// What an RTX packet received from a sender carries.
    public enum Content: Sendable, Equatable, Hashable {
        /// The original packet, now in the buffer: `length` bytes, sequence number restored.
        case original(length: Int, sequenceNumber: UInt16)
        /// No payload at all, so no OSN: a bandwidth probe (libwebrtc sends RTX packets of
        /// nothing but padding). Nothing to restore or forward; the buffer is unchanged.
        case paddingOnly
    }

    /// Writes `original`, a plain RTP packet, as an RTX packet into `destination` and returns its
    /// length: the original's length minus its padding, plus the 2-byte OSN.
    ///
    /// Marker, timestamp, CSRCs and header extensions stay as in the original; payload type,
    /// SSRC and sequence number become the RTX stream's. The original's padding is dropped and
    /// the P bit cleared (RFC 4588 §4: padding belongs to a packet, not to its payload).
    ///
    /// `destination` must not overlap `original`, except that it may be the same memory (the
    /// original's own buffer, then needing 2 spare bytes after it).
    public static func wrap(
        _ original: UnsafeRawBufferPointer,
        payloadType: UInt8,
        ssrc: UInt32,
        sequenceNumber: UInt16,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(RTPError) -> Int {
        guard payloadType <= 0x7F else { throw .invalidPayloadType }
        let header = try RTPHeader(parsing: original)
        let headerLength = header.headerLength
        let payload = header.payloadRange
        let payloadStart = headerLength + originalSequenceNumberLength
        let length = payloadStart + payload.count
        guard destination.count >= length else { throw .bufferTooSmall }

        // Payload first: when wrapping in place it moves right over bytes not yet read.
        destination.move(from: original, range: payload, to: payloadStart)
        destination.move(from: original, range: 0..<headerLength, to: 0)
        destination[0] &= ~0x20
        destination[1] = (destination[1] & 0x80) | payloadType
        destination.writeUInt16(sequenceNumber, at: 2)
        destination.writeUInt32(ssrc, at: 8)
        destination.writeUInt16(header.sequenceNumber, at: headerLength)
        return length
    }

    /// Restores the original packet from the RTX packet in `packet`, in place: sequence number =
    /// OSN, payload type and SSRC = the original stream's (which the RTX stream's `apt` and
    /// `a=ssrc-group:FID` name), payload moved back over the OSN. The RTX packet's own padding
    /// is dropped and the P bit cleared.
    public static func unwrap(
        _ packet: UnsafeMutableRawBufferPointer, payloadType: UInt8, ssrc: UInt32
    ) throws(RTPError) -> Content {
        try unwrap(UnsafeRawBufferPointer(packet), payloadType: payloadType, ssrc: ssrc, into: packet)
    }

    /// As `unwrap(_:payloadType:ssrc:)`, writing the original into `destination`, which must not
    /// overlap `rtx` unless it is the same memory.
    ///
    /// A payload of one byte cannot hold an OSN and is `.truncated`. An empty payload is not an
    /// error but `.paddingOnly`: RFC 4588 does not define it, and libwebrtc probes bandwidth with
    /// such packets.
    public static func unwrap(
        _ rtx: UnsafeRawBufferPointer, payloadType: UInt8, ssrc: UInt32,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(RTPError) -> Content {
        guard payloadType <= 0x7F else { throw .invalidPayloadType }
        let header = try RTPHeader(parsing: rtx)
        let payload = header.payloadRange
        if payload.isEmpty { return .paddingOnly }
        guard payload.count >= originalSequenceNumberLength else { throw .truncated }
        let headerLength = header.headerLength
        let originalSequenceNumber = rtx.readUInt16(at: payload.lowerBound)
        let length = headerLength + payload.count - originalSequenceNumberLength
        guard destination.count >= length else { throw .bufferTooSmall }

        // Header first: in place it is a no-op, and the payload then moves left.
        destination.move(from: rtx, range: 0..<headerLength, to: 0)
        destination.move(from: rtx, range: (payload.lowerBound + originalSequenceNumberLength)..<payload.upperBound, to: headerLength)
        destination[0] &= ~0x20
        destination[1] = (destination[1] & 0x80) | payloadType
        destination.writeUInt16(originalSequenceNumber, at: 2)
        destination.writeUInt32(ssrc, at: 8)
        return .original(length: length, sequenceNumber: originalSequenceNumber)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// memmove of `source[range]` to `offset`; callers have checked both ends are in bounds.
    @inline(__always)
    func move(from source: UnsafeRawBufferPointer, range: Range<Int>, to offset: Int) {
        guard !range.isEmpty else { return }
        UnsafeMutableRawBufferPointer(rebasing: self[offset..<(offset + range.count)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
    }
}
