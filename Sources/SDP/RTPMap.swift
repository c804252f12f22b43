/// `a=rtpmap:<payload type> <encoding>/<clock rate>[/<encoding parameters>]` (RFC 8866 §6.6).
public struct RTPMap: SDPAttributeValue, Hashable {
    public static let attributeName = "rtpmap"

    /// Dynamic or static RTP payload type, 0...127 (RFC 3550 §5.1: 7 bits).
    public var payloadType: UInt8
    /// Case-insensitive codec name as written, e.g. `opus`, `VP8`, `rtx`.
    public var encodingName: String
    public var clockRate: UInt32
    /// The channel count for audio. Kept optional so `G722/8000/1` and `PCMU/8000` both round-trip.
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init?(attributeValue: Substring) {
        let (pt, encoding) = attributeValue.splitOnce(" ")
        guard let pt = UInt8(sdpDecimal: pt), pt <= 127, let encoding else { return nil }
        let parts = encoding.sdpSplit("/")
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[0].containsByte(" "),
            let rate = UInt32(sdpDecimal: parts[1])
        else { return nil }
        var channels: UInt16?
        if parts.count == 3 {
            guard let count = UInt16(sdpDecimal: parts[2]) else { return nil }
            channels = count
        }
        self.init(payloadType: pt, encodingName: String(parts[0]), clockRate: rate, channels: channels)
    }

    public var attributeValue: String {
        var text = "\(payloadType) \(encodingName)/\(clockRate)"
        if let channels { text += "/\(channels)" }
        return text
    }
}
