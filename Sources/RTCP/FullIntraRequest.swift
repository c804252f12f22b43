/// Full intra request, PSFB FMT 4 (RFC 5104 §4.3.1). A view borrowing the packet's memory.
///
/// The media SSRC of the common header is unused (zero); targets are in the FCI entries.
public struct FullIntraRequest {
    public static let format: UInt8 = 4

    /// One FCI entry: the encoder asked to refresh and a command sequence number that lets it
    /// ignore repeats (RFC 5104 §4.3.1.1).
    public struct Entry: Sendable, Equatable, Hashable {
        public static let size = 8

        public var ssrc: UInt32
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    /// FCI entries decoded on access.
    public struct Entries: RandomAccessCollection {
        let bytes: UnsafeRawBufferPointer

        public var startIndex: Int { 0 }
        public var endIndex: Int { bytes.count / Entry.size }

        public subscript(position: Int) -> Entry {
            precondition(position >= 0 && position < endIndex, "FIR entry index out of range")
            let offset = position * Entry.size
            return Entry(ssrc: bytes.readUInt32(at: offset), sequenceNumber: bytes[offset + 4])
        }
    }

    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let entries: Entries

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (ssrcs, fci) = try FeedbackSSRCs.parse(packet, type: .payloadFeedback, format: Self.format)
        guard fci.count % Entry.size == 0 else { throw .malformedBody }
        senderSSRC = ssrcs.sender
        mediaSSRC = ssrcs.media
        entries = Entries(bytes: fci)
    }

    public static func encodedLength(entryCount: Int) -> Int {
        FeedbackSSRCs.prefixLength + entryCount * Entry.size
    }

    /// - Returns: bytes written.
    public static func write(
        senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: some Collection<Entry>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let length = encodedLength(entryCount: entries.count)
        try ensureCapacity(buffer, length)
        try FeedbackSSRCs.write(
            type: .payloadFeedback, format: format, packetLength: length,
            sender: senderSSRC, media: mediaSSRC, into: buffer)
        var offset = FeedbackSSRCs.prefixLength
        for entry in entries {
            buffer.writeUInt32(entry.ssrc, at: offset)
            buffer[offset + 4] = entry.sequenceNumber
            buffer.zero((offset + 5)..<(offset + Entry.size))  // reserved
            offset += Entry.size
        }
        return length
    }

    public static func build(
        senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: some Collection<Entry>
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(entryCount: entries.count)) { buffer throws(RTCPError) in
            try write(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, entries: entries, into: buffer)
        }
    }
}
