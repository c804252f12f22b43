/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285 §8).
///
/// The SFU reads mid / rid / transport-cc header extensions by these ids, so they must match the offer.
public struct ExtensionMap: SDPAttributeValue, Hashable {
    public static let attributeName = "extmap"

    /// 1...14 for one-byte headers, up to 255 for two-byte headers; 4096...4351 only in offers
    /// (RFC 8285 §8: "values in the range 4096-4351 ... for negotiation").
    public var id: UInt16
    public var direction: MediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    public init?(attributeValue: Substring) {
        let (entry, rest) = attributeValue.splitOnce(" ")
        guard let rest else { return nil }
        let (idText, directionText) = entry.splitOnce("/")
        guard let id = UInt16(sdpDecimal: idText), id != 0 else { return nil }
        if let directionText {
            guard let direction = MediaDirection(rawValue: String(directionText)) else { return nil }
            self.direction = direction
        } else {
            direction = nil
        }
        let (uri, attributes) = rest.splitOnce(" ")
        guard !uri.isEmpty else { return nil }
        self.id = id
        self.uri = String(uri)
        self.extensionAttributes = attributes.map(String.init)
    }

    public var attributeValue: String {
        var text = String(id)
        if let direction { text += "/\(direction.rawValue)" }
        text += " \(uri)"
        if let extensionAttributes { text += " \(extensionAttributes)" }
        return text
    }
}
