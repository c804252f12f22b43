/// Why an RTCP packet could not be parsed or written.
///
/// A closed enum so that `throws(RTCPError)` never boxes an existential on the hot path.
public enum RTCPError: Error, Sendable, Equatable {
    /// Fewer bytes than the layout requires.
    case truncated
    /// Version field is not 2 (RFC 3550 §6.4.1).
    case unsupportedVersion(UInt8)
    /// The length field points past the end of the datagram, or the datagram is empty.
    case invalidLength
    /// The padding count is zero or larger than the packet body (RFC 3550 §6.4.1).
    case invalidPadding
    /// The packet type or feedback format does not match the parser used.
    case unexpectedPacketType
    /// A count or item inside the body is inconsistent with the body length.
    case malformedBody
    /// A transport-wide CC status symbol uses the reserved value `11`.
    case reservedStatusSymbol
    /// The destination buffer cannot hold the encoded packet.
    case bufferTooSmall(needed: Int)
    /// A value does not fit its wire field (e.g. more than 31 report blocks, a delta beyond 16 bits).
    case valueOutOfRange
}
