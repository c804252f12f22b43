/// `a=rid:<id> <send|recv> [<restriction>=<value>;...]` (RFC 8851 §10).
///
/// Names one RTP stream of a simulcast set; the SFU learns which layer a packet belongs to from the
/// rtp-stream-id header extension carrying this id.
public struct RID: SDPAttributeValue, Hashable {
    public static let attributeName = "rid"

    /// One `name[=value]` restriction, e.g. `max-width=1280` or `pt=96,97` (RFC 8851 §4).
    public struct Restriction: Equatable, Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public var id: String
    public var direction: StreamDirection
    public var restrictions: [Restriction]

    public init(id: String, direction: StreamDirection, restrictions: [Restriction] = []) {
        self.id = id
        self.direction = direction
        self.restrictions = restrictions
    }

    public init?(attributeValue: Substring) {
        let fields = attributeValue.sdpFields()
        guard fields.count == 2 || fields.count == 3, Self.isValidID(fields[0]),
            let direction = StreamDirection(rawValue: String(fields[1]))
        else { return nil }
        var restrictions: [Restriction] = []
        if fields.count == 3 {
            for item in fields[2].sdpSplit(";") {
                let (name, value) = item.splitOnce("=")
                guard !name.isEmpty, value.map({ !$0.isEmpty }) ?? true else { return nil }
                restrictions.append(Restriction(name: String(name), value: value.map(String.init)))
            }
        }
        self.init(id: String(fields[0]), direction: direction, restrictions: restrictions)
    }

    public var attributeValue: String {
        var text = "\(id) \(direction.rawValue)"
        if !restrictions.isEmpty {
            text += " " + restrictions.map { r in r.value.map { "\(r.name)=\($0)" } ?? r.name }.joined(separator: ";")
        }
        return text
    }

    /// The value of restriction `name`, e.g. `max-height`.
    public func restriction(_ name: String) -> String? {
        restrictions.first { $0.name == name }?.value
    }

    /// The `pt=` restriction: which payload types this stream may use; empty means all.
    public var payloadTypes: [UInt8] {
        guard let list = restriction("pt") else { return [] }
        return list.split(separator: ",").compactMap { UInt8(sdpDecimal: $0) }
    }

    /// RFC 8851 §10 `rid-id = 1*(alpha-numeric / "-" / "_")`.
    static func isValidID(_ id: Substring) -> Bool {
        !id.isEmpty
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}
