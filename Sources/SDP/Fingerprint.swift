/// `a=fingerprint:<hash function> <hex bytes>` (RFC 8122 §5, RFC 8842 §5).
///
/// The DTLS layer compares the peer certificate's digest with `bytes`; parsing the hex once here
/// keeps that comparison a byte-array equality.
public struct Fingerprint: SDPAttributeValue, Hashable {
    public static let attributeName = "fingerprint"

    /// Lower-case hash function token, e.g. `sha-256` (RFC 8122 §5: case-insensitive).
    public var hashFunction: String
    public var bytes: [UInt8]

    public init(hashFunction: String, bytes: [UInt8]) {
        self.hashFunction = hashFunction.lowercased()
        self.bytes = bytes
    }

    public init?(attributeValue: Substring) {
        let (hash, hex) = attributeValue.splitOnce(" ")
        guard !hash.isEmpty, let hex, let bytes = Self.decode(hex: hex) else { return nil }
        self.init(hashFunction: String(hash), bytes: bytes)
    }

    /// Upper-case colon-separated hex, the form RFC 8122 §5 prescribes.
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var attributeValue: String { "\(hashFunction) \(hex)" }

    /// Decodes `AB:CD:...`; each group must be exactly two hex digits (RFC 8122 §5 `2UHEX`,
    /// lower case accepted as real stacks emit it).
    static func decode(hex: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        for group in hex.sdpSplit(":") {
            let utf8 = Array(group.utf8)
            guard utf8.count == 2, let high = nibble(utf8[0]), let low = nibble(utf8[1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
