/// `a=setup`: which side starts the DTLS handshake (RFC 4145 §4, RFC 8842 §5.1).
///
/// Offers carry `actpass`; an SFU answering with `passive` lets browsers act as DTLS client.
public enum SetupRole: String, CaseIterable, SDPAttributeValue {
    case active
    case passive
    case actpass
    case holdconn

    public static let attributeName = "setup"

    public init?(attributeValue: Substring) {
        self.init(rawValue: String(attributeValue))
    }

    public var attributeValue: String { rawValue }
}
