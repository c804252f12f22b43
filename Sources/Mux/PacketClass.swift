/// What a datagram on the shared ICE/DTLS/SRTP port is, decided from its first bytes.
///
/// WebRTC multiplexes STUN, DTLS and SRTP/SRTCP (and possibly TURN channel data and ZRTP) on a
/// single 5-tuple; RFC 7983 §7 (updated by RFC 9443 §5 for TURN channels) assigns each protocol a
/// disjoint range of first-byte values so a receiver can demultiplex without parsing.
public enum PacketClass: Sendable, Equatable, Hashable, CaseIterable {
    /// First byte 0...3 (RFC 5389 messages start with two zero bits).
    case stun
    /// First byte 16...19.
    case zrtp
    /// First byte 20...63 (TLS/DTLS content types 20...63).
    case dtls
    /// First byte 64...79 (TURN ChannelData, channel numbers 0x4000...0x4FFF; RFC 8656 §12).
    case turnChannel
    /// First byte 128...191 (RTP version 2) with a payload type outside the RTCP range.
    case rtp
    /// First byte 128...191 with second byte 192...223 (RTCP packet types; RFC 5761 §4).
    case rtcp
    /// Anything else, including an empty datagram or a version-2 byte with no second byte.
    case unknown

    /// Classifies a datagram by its first byte (RFC 7983 §7, RFC 9443 §5) and, for version-2
    /// packets, splits RTP from RTCP by the second byte (RFC 5761 §4).
    ///
    /// RFC 5761 §4 reserves RTP payload types 64...95 so that, with the marker bit masked off,
    /// they collide only with RTCP packet types 192...223; hence `secondByte & 0x7F` in 64...95
    /// means RTCP. Only the first two bytes are read; nothing is validated beyond that, because
    /// the protocol handler chosen here does its own validation.
    @inlinable
    public static func classify(_ datagram: UnsafeRawBufferPointer) -> PacketClass {
        // Index directly: the generic `Collection.first` is not specialized in debug builds and
        // allocates there.
        guard !datagram.isEmpty else { return .unknown }
        switch datagram[0] {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard datagram.count >= 2 else { return .unknown }
            let type = datagram[1] & 0x7F
            return (64...95).contains(type) ? .rtcp : .rtp
        default: return .unknown
        }
    }
}
