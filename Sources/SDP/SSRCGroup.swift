/// `a=ssrc-group:<semantics> <ssrc> ...` (RFC 5576 §4.2).
///
/// `FID` pairs a media SSRC with its RTX SSRC (RFC 4588 §8.3); `SIM` lists legacy simulcast layers.
public struct SSRCGroup: SDPAttributeValue, Hashable {
    public static let attributeName = "ssrc-group"
    /// Flow identification: primary SSRC then its retransmission SSRC.
    public static let fid = "FID"
    /// Simulcast layers, lowest resolution first.
    public static let simulcast = "SIM"

    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init?(attributeValue: Substring) {
        let fields = attributeValue.sdpFields()
        guard fields.count >= 2, !fields[0].isEmpty else { return nil }
        var ssrcs: [UInt32] = []
        for field in fields.dropFirst() {
            guard let ssrc = UInt32(sdpDecimal: field) else { return nil }
            ssrcs.append(ssrc)
        }
        self.init(semantics: String(fields[0]), ssrcs: ssrcs)
    }

    public var attributeValue: String {
        ([semantics] + ssrcs.map(String.init)).joined(separator: " ")
    }
}
