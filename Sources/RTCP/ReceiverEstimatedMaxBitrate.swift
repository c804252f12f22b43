/// Receiver estimated maximum bitrate, PSFB FMT 15 with identifier "REMB"
/// (draft-alvestrand-rmcat-remb-03 §2.2). A view borrowing the packet's memory.
///
/// ```
/// | unique identifier 'R' 'E' 'M' 'B'                              |
/// | Num SSRC      | BR Exp    |  BR Mantissa                        |
/// | SSRC feedback ...                                              |
/// ```
public struct ReceiverEstimatedMaxBitrate {
    public static let format: UInt8 = 15
    static let identifier: UInt32 = 0x5245_4D42  // "REMB"
    /// 18-bit mantissa: the encoding keeps this many significant bits of the bitrate.
    public static let maxMantissa: UInt64 = (1 << 18) - 1

    public let senderSSRC: UInt32
    /// Always zero on the wire for REMB (the draft's "media source SSRC").
    public let mediaSSRC: UInt32
    /// Bits per second, saturated at `UInt64.max` for exponents that would overflow.
    public let bitrate: UInt64
    /// Streams the estimate applies to.
    public let ssrcs: SSRCList

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (ssrcs, fci) = try FeedbackSSRCs.parse(packet, type: .payloadFeedback, format: Self.format)
        guard fci.count >= 8, fci.readUInt32(at: 0) == Self.identifier else { throw .malformedBody }
        let count = Int(fci[4])
        let listEnd = 8 + count * 4
        guard listEnd <= fci.count else { throw .malformedBody }
        senderSSRC = ssrcs.sender
        mediaSSRC = ssrcs.media
        bitrate = Self.decodeBitrate(fci.readUInt24(at: 5))
        self.ssrcs = SSRCList(bytes: fci.slice(8..<listEnd))
    }

    /// Whether a PSFB FMT 15 body (after the header) carries the REMB identifier; other
    /// application-layer feedback shares the FMT.
    static func hasIdentifier(_ body: UnsafeRawBufferPointer) -> Bool {
        body.count >= 12 && body.readUInt32(at: 8) == identifier
    }

    /// Packs a bitrate as 6-bit exponent and 18-bit mantissa, rounding down so the sender is never
    /// told it may exceed the estimate.
    /// - Returns: the 24-bit field value (`exponent << 18 | mantissa`).
    public static func encodeBitrate(_ bitrate: UInt64) -> UInt32 {
        var exponent: UInt64 = 0
        while bitrate >> exponent > maxMantissa { exponent += 1 }
        return UInt32(exponent << 18 | bitrate >> exponent)
    }

    /// Inverse of `encodeBitrate`, saturating instead of overflowing.
    public static func decodeBitrate(_ field: UInt32) -> UInt64 {
        let exponent = UInt64(field >> 18 & 0x3F)
        let mantissa = UInt64(field) & maxMantissa
        guard mantissa <= UInt64.max >> exponent else { return .max }
        return mantissa << exponent
    }

    public static func encodedLength(ssrcCount: Int) -> Int {
        FeedbackSSRCs.prefixLength + 8 + ssrcCount * 4
    }

    /// - Returns: bytes written.
    public static func write(
        senderSSRC: UInt32, bitrate: UInt64, ssrcs: some Collection<UInt32>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        guard ssrcs.count <= Int(UInt8.max) else { throw .valueOutOfRange }
        let length = encodedLength(ssrcCount: ssrcs.count)
        try ensureCapacity(buffer, length)
        try FeedbackSSRCs.write(
            type: .payloadFeedback, format: format, packetLength: length,
            sender: senderSSRC, media: 0, into: buffer)
        buffer.writeUInt32(identifier, at: 12)
        buffer[16] = UInt8(ssrcs.count)
        buffer.writeUInt24(encodeBitrate(bitrate), at: 17)
        var offset = 20
        for ssrc in ssrcs {
            buffer.writeUInt32(ssrc, at: offset)
            offset += 4
        }
        return length
    }

    public static func build(
        senderSSRC: UInt32, bitrate: UInt64, ssrcs: some Collection<UInt32>
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(ssrcCount: ssrcs.count)) { buffer throws(RTCPError) in
            try write(senderSSRC: senderSSRC, bitrate: bitrate, ssrcs: ssrcs, into: buffer)
        }
    }
}
