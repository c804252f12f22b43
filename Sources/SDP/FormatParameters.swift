/// `a=fmtp:<format> <parameters>` (RFC 8866 §6.15).
///
/// The parameter string is codec-specific (`minptime=10;useinbandfec=1`, `apt=96`, but also `111/111`
/// for RED or `0-15` for telephone-event), so it is kept verbatim with a `key=value` lookup on top.
public struct FormatParameters: SDPAttributeValue, Hashable {
    public static let attributeName = "fmtp"

    /// The format the parameters apply to; an RTP payload type for RTP media.
    public var format: String
    public var parameters: String

    public init(format: String, parameters: String) {
        self.format = format
        self.parameters = parameters
    }

    public init(payloadType: UInt8, parameters: String) {
        self.init(format: String(payloadType), parameters: parameters)
    }

    public init?(attributeValue: Substring) {
        let (format, parameters) = attributeValue.splitOnce(" ")
        guard !format.isEmpty, let parameters else { return nil }
        self.init(format: String(format), parameters: String(parameters))
    }

    public var attributeValue: String { "\(format) \(parameters)" }

    /// The format as an RTP payload type, if it is one.
    public var payloadType: UInt8? {
        guard let pt = UInt8(sdpDecimal: Substring(format)), pt <= 127 else { return nil }
        return pt
    }

    /// The value of a `key=value` parameter (keys compared case-insensitively, RFC 8866 §6.15 leaves
    /// case to the codec; H.264 and Opus both define lower-case keys). `""` for a bare key.
    public func value(for key: String) -> String? {
        for item in parameters.split(separator: ";") {
            let trimmed = item.drop(while: { $0 == " " })
            let (name, value) = trimmed.splitOnce("=")
            if name.lowercased() == key.lowercased() { return value.map(String.init) ?? "" }
        }
        return nil
    }
}
