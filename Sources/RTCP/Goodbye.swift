/// Goodbye, PT 203 (RFC 3550 §6.6). A view borrowing the packet's memory.
public struct Goodbye {
    public static let maxSources = 31
    public static let maxReasonLength = 255

    /// Sources leaving the session.
    public let sources: SSRCList
    /// Optional UTF-8 reason; `nil` when the packet carries none.
    public let reason: UnsafeRawBufferPointer?

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (header, body) = try RTCPHeader.split(packet, type: .goodbye)
        let listEnd = Int(header.count) * 4
        guard listEnd <= body.count else { throw .malformedBody }
        sources = SSRCList(bytes: body.slice(0..<listEnd))
        if listEnd < body.count {
            let reasonEnd = listEnd + 1 + Int(body[listEnd])
            guard reasonEnd <= body.count else { throw .malformedBody }
            reason = body.slice((listEnd + 1)..<reasonEnd)
        } else {
            reason = nil
        }
    }

    public static func encodedLength(sourceCount: Int, reasonLength: Int) -> Int {
        RTCPHeader.size + sourceCount * 4 + (reasonLength > 0 ? paddedToWord(1 + reasonLength) : 0)
    }

    /// An empty `reason` is omitted.
    /// - Returns: bytes written.
    public static func write(
        sources: some Collection<UInt32>, reason: some Collection<UInt8> = [UInt8](),
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        guard sources.count <= maxSources, reason.count <= maxReasonLength else { throw .valueOutOfRange }
        let length = encodedLength(sourceCount: sources.count, reasonLength: reason.count)
        try ensureCapacity(buffer, length)
        try RTCPHeader.forPacket(type: .goodbye, count: UInt8(sources.count), packetLength: length).write(to: buffer)
        var offset = RTCPHeader.size
        for ssrc in sources {
            buffer.writeUInt32(ssrc, at: offset)
            offset += 4
        }
        if !reason.isEmpty {
            buffer[offset] = UInt8(reason.count)
            offset += 1
            for byte in reason {
                buffer[offset] = byte
                offset += 1
            }
            buffer.zero(offset..<length)
        }
        return length
    }

    public static func build(
        sources: some Collection<UInt32>, reason: some Collection<UInt8> = [UInt8]()
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(sourceCount: sources.count, reasonLength: reason.count)) {
            buffer throws(RTCPError) in
            try write(sources: sources, reason: reason, into: buffer)
        }
    }
}
