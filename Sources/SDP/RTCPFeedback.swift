/// `a=rtcp-fb:<payload type|*> <type> [<parameter>]` (RFC 4585 §4.2, RFC 5104 §7.1).
///
/// What an SFU forwards depends on it: `nack`, `nack pli`, `ccm fir`, `transport-cc`, `goog-remb`.
public struct RTCPFeedback: SDPAttributeValue, Hashable {
    public static let attributeName = "rtcp-fb"

    /// `nil` for the `*` wildcard that applies to every payload type of the section.
    public var payloadType: UInt8?
    /// e.g. `nack`, `ccm`, `transport-cc`, `goog-remb`.
    public var type: String
    /// e.g. `pli` for `nack pli`, `fir` for `ccm fir`; everything after the type, verbatim.
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init?(attributeValue: Substring) {
        let (format, rest) = attributeValue.splitOnce(" ")
        guard let rest else { return nil }
        if format == "*" {
            payloadType = nil
        } else {
            guard let pt = UInt8(sdpDecimal: format), pt <= 127 else { return nil }
            payloadType = pt
        }
        // Pion (through 4.1 at least) writes a space after a feedback type with no parameter
        // (`a=rtcp-fb:111 transport-cc `); trailing blanks are read as no parameter.
        var trimmed = rest
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        let (type, parameter) = trimmed.splitOnce(" ")
        guard !type.isEmpty, parameter.map({ !$0.isEmpty }) ?? true else { return nil }
        self.type = String(type)
        self.parameter = parameter.map(String.init)
    }

    public var attributeValue: String {
        var text = payloadType.map(String.init) ?? "*"
        text += " \(type)"
        if let parameter { text += " \(parameter)" }
        return text
    }

    /// Whether this feedback applies to `payloadType` (directly or through `*`).
    public func applies(to payloadType: UInt8) -> Bool {
        self.payloadType == nil || self.payloadType == payloadType
    }
}
