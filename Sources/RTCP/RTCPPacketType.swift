/// The RTCP packet type octet.
///
/// A struct rather than an enum so unknown types (XR, APP, future ones) stay representable and are
/// passed through instead of rejected.
public struct RTCPPacketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// RFC 3550 §6.4.1.
    public static let senderReport = RTCPPacketType(rawValue: 200)
    /// RFC 3550 §6.4.2.
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    /// RFC 3550 §6.5.
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    /// RFC 3550 §6.6.
    public static let goodbye = RTCPPacketType(rawValue: 203)
    /// RFC 3550 §6.7.
    public static let applicationDefined = RTCPPacketType(rawValue: 204)
    /// Transport-layer feedback, RTPFB (RFC 4585 §6.2).
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    /// Payload-specific feedback, PSFB (RFC 4585 §6.3).
    public static let payloadFeedback = RTCPPacketType(rawValue: 206)
    /// Extended reports (RFC 3611).
    public static let extendedReport = RTCPPacketType(rawValue: 207)

    public var description: String {
        switch self {
        case .senderReport: "SR"
        case .receiverReport: "RR"
        case .sourceDescription: "SDES"
        case .goodbye: "BYE"
        case .applicationDefined: "APP"
        case .transportFeedback: "RTPFB"
        case .payloadFeedback: "PSFB"
        case .extendedReport: "XR"
        default: "PT\(rawValue)"
        }
    }
}
