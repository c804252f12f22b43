/// The two SSRCs that open every RTPFB/PSFB body (RFC 4585 §6.1).
struct FeedbackSSRCs {
    /// Header plus the two SSRCs.
    static let prefixLength = RTCPHeader.size + 8

    let sender: UInt32
    let media: UInt32

    /// Splits a feedback packet into its SSRCs and FCI.
    static func parse(
        _ packet: UnsafeRawBufferPointer, type: RTCPPacketType, format: UInt8
    ) throws(RTCPError) -> (ssrcs: FeedbackSSRCs, fci: UnsafeRawBufferPointer) {
        let (_, body) = try RTCPHeader.split(packet, type: type, format: format)
        guard body.count >= 8 else { throw .malformedBody }
        return (FeedbackSSRCs(sender: body.readUInt32(at: 0), media: body.readUInt32(at: 4)), body.slice(8..<body.count))
    }

    /// Writes header and SSRCs for a packet of `packetLength` bytes; the caller has checked capacity.
    static func write(
        type: RTCPPacketType, format: UInt8, packetLength: Int, sender: UInt32, media: UInt32,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) {
        try RTCPHeader.forPacket(type: type, count: format, packetLength: packetLength).write(to: buffer)
        buffer.writeUInt32(sender, at: 4)
        buffer.writeUInt32(media, at: 8)
    }
}
