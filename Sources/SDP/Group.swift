/// `a=group:<semantics> <mid> ...` (RFC 5888 §5); WebRTC uses `BUNDLE` (RFC 9143) so all sections share
/// one transport, which is what lets an SFU serve a participant on a single port.
public struct Group: SDPAttributeValue, Hashable {
    public static let attributeName = "group"
    public static let bundle = "BUNDLE"

    public var semantics: String
    /// Identification tags (`a=mid` values); the first is the BUNDLE tag (RFC 9143 §7.2.1).
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public init?(attributeValue: Substring) {
        let fields = attributeValue.sdpFields()
        guard let semantics = fields.first, !semantics.isEmpty, !fields.dropFirst().contains(where: \.isEmpty)
        else { return nil }
        self.init(semantics: String(semantics), mids: fields.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantics] + mids).joined(separator: " ") }
}
