/// The 32-bit header shared by every RTCP packet (RFC 3550 §6.4.1, RFC 4585 §6.1).
///
/// ```
///  0                   1                   2                   3
/// |V=2|P| RC/FMT  |      PT       |             length            |
/// ```
public struct RTCPHeader: Sendable, Equatable {
    /// Size of the header on the wire.
    public static let size = 4
    /// The only RTP/RTCP version in use (RFC 3550 §6.4.1).
    public static let version: UInt8 = 2

    /// Whether the packet ends with padding whose last octet counts the padding octets.
    public var hasPadding: Bool
    /// Five-bit field: report/source count for SR/RR/SDES/BYE, feedback message type (FMT) for RTPFB/PSFB.
    public var count: UInt8
    public var packetType: RTCPPacketType
    /// Length in 32-bit words minus one, including header and padding.
    public var length: UInt16

    public init(hasPadding: Bool = false, count: UInt8, packetType: RTCPPacketType, length: UInt16) {
        self.hasPadding = hasPadding
        self.count = count
        self.packetType = packetType
        self.length = length
    }

    /// Alias of `count` for feedback packets, where the field carries the FMT (RFC 4585 §6.1).
    public var feedbackFormat: UInt8 { count }

    /// Total packet size in bytes, header and padding included.
    public var packetLength: Int { (Int(length) + 1) * 4 }

    /// Decodes the first four bytes. Does not check `length` against the buffer.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTCPError) {
        guard bytes.count >= Self.size else { throw .truncated }
        let first = bytes[0]
        let version = first >> 6
        guard version == Self.version else { throw .unsupportedVersion(version) }
        hasPadding = first & 0x20 != 0
        count = first & 0x1F
        packetType = RTCPPacketType(rawValue: bytes[1])
        length = bytes.readUInt16(at: 2)
    }

    /// Encodes the header into the first four bytes; the caller has checked capacity.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer[0] = Self.version << 6 | (hasPadding ? 0x20 : 0) | (count & 0x1F)
        buffer[1] = packetType.rawValue
        buffer.writeUInt16(length, at: 2)
    }

    /// Header for a packet of `packetLength` bytes (a multiple of four, at most 256 KiB).
    static func forPacket(
        type: RTCPPacketType, count: UInt8, packetLength: Int
    ) throws(RTCPError) -> RTCPHeader {
        guard packetLength % 4 == 0, packetLength >= size, packetLength / 4 - 1 <= Int(UInt16.max) else {
            throw .valueOutOfRange
        }
        return RTCPHeader(count: count, packetType: type, length: UInt16(packetLength / 4 - 1))
    }

    /// Validates one packet at the start of `bytes` and splits off its body.
    ///
    /// - Returns: the header, the body (after the header, padding removed) and the full packet
    ///   length as claimed by the length field.
    static func split(
        _ bytes: UnsafeRawBufferPointer
    ) throws(RTCPError) -> (header: RTCPHeader, body: UnsafeRawBufferPointer, packetLength: Int) {
        let header = try RTCPHeader(parsing: bytes)
        let packetLength = header.packetLength
        guard packetLength <= bytes.count else { throw .invalidLength }
        var bodyEnd = packetLength
        if header.hasPadding {
            // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
            let padding = Int(bytes[packetLength - 1])
            guard padding > 0, padding <= packetLength - size else { throw .invalidPadding }
            bodyEnd -= padding
        }
        return (header, bytes.slice(size..<bodyEnd), packetLength)
    }

    /// `split`, plus a check that the packet is of the expected type (and FMT, for feedback).
    static func split(
        _ bytes: UnsafeRawBufferPointer, type: RTCPPacketType, format: UInt8? = nil
    ) throws(RTCPError) -> (header: RTCPHeader, body: UnsafeRawBufferPointer) {
        let (header, body, _) = try split(bytes)
        guard header.packetType == type else { throw .unexpectedPacketType }
        if let format, header.count != format { throw .unexpectedPacketType }
        return (header, body)
    }
}

/// Capacity check shared by all writers.
@inline(__always)
func ensureCapacity(_ buffer: UnsafeMutableRawBufferPointer, _ needed: Int) throws(RTCPError) {
    guard buffer.count >= needed else { throw .bufferTooSmall(needed: needed) }
}
