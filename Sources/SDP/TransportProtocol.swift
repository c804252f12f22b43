/// The `<proto>` token of an `m=` line, e.g. `UDP/TLS/RTP/SAVPF` (RFC 8866 §5.14, RFC 5764 §8).
///
/// A string wrapper rather than an enum: SDP allows any registered token, and unknown ones must round-trip.
public struct TransportProtocol: RawRepresentable, Equatable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// DTLS-SRTP media with RTCP feedback: what WebRTC uses for audio and video (RFC 8829 §5.1.2).
    public static let udpTLSRTPSAVPF: TransportProtocol = "UDP/TLS/RTP/SAVPF"
    /// Data channels over SCTP over DTLS (RFC 8841 §4.1).
    public static let udpDTLSSCTP: TransportProtocol = "UDP/DTLS/SCTP"

    /// Whether the formats are RTP payload types (RFC 8866 §5.14: `RTP/*` protocols).
    public var isRTP: Bool { rawValue.contains("RTP/") }

    public var description: String { rawValue }
}
