/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `cname:...` or `msid:<stream> <track>`.
///
/// Lets the SFU map an incoming SSRC to its m-section before the first packet carrying a mid arrives.
public struct SSRCAttribute: SDPAttributeValue, Hashable {
    public static let attributeName = "ssrc"

    public var ssrc: UInt32
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    public init?(attributeValue: Substring) {
        let (ssrcText, rest) = attributeValue.splitOnce(" ")
        guard let ssrc = UInt32(sdpDecimal: ssrcText), let rest else { return nil }
        let (attribute, value) = rest.splitOnce(":")
        guard !attribute.isEmpty else { return nil }
        self.init(ssrc: ssrc, attribute: String(attribute), value: value.map(String.init))
    }

    public var attributeValue: String {
        var text = "\(ssrc) \(attribute)"
        if let value { text += ":\(value)" }
        return text
    }
}
