/// `a=candidate` (RFC 8839 §5.1): one transport address the peer can be reached at.
///
/// An ice-lite SFU never pairs candidates itself, but it advertises its own host candidate and may log
/// or filter the peer's (e.g. drop TCP or mDNS `.local` candidates).
public struct Candidate: SDPAttributeValue, Hashable {
    public static let attributeName = "candidate"

    /// Candidate type (RFC 8445 §5.1.1).
    public enum Kind: Equatable, Hashable, Sendable {
        case host
        /// Server reflexive: the public address a STUN server saw.
        case serverReflexive
        case peerReflexive
        case relay
        case other(String)

        init(_ token: Substring) {
            switch token {
            case "host": self = .host
            case "srflx": self = .serverReflexive
            case "prflx": self = .peerReflexive
            case "relay": self = .relay
            default: self = .other(String(token))
            }
        }

        public var token: String {
            switch self {
            case .host: "host"
            case .serverReflexive: "srflx"
            case .peerReflexive: "prflx"
            case .relay: "relay"
            case .other(let token): token
            }
        }
    }

    /// A trailing `name value` pair such as `generation 0` or `tcptype active` (RFC 8839 §5.1 `extension-att-name`).
    public struct Extension: Equatable, Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var foundation: String
    /// 1 = RTP, 2 = RTCP (absent with rtcp-mux).
    public var component: UInt16
    /// `udp` or `tcp`, as written (Firefox writes upper case; compare case-insensitively).
    public var transport: String
    public var priority: UInt32
    /// IP address or, for mDNS-obfuscated candidates, a `.local` host name.
    public var address: String
    public var port: UInt16
    public var kind: Kind
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    public var extensions: [Extension]

    public init(
        foundation: String, component: UInt16, transport: String, priority: UInt32, address: String,
        port: UInt16, kind: Kind, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
        extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    public init?(attributeValue: Substring) {
        let fields = attributeValue.sdpFields()
        guard fields.count >= 8, !fields.contains(where: \.isEmpty), fields[6] == "typ",
            fields[0].utf8.count <= 32,
            let component = UInt16(sdpDecimal: fields[1]),
            let priority = UInt32(sdpDecimal: fields[3]),
            let port = UInt16(sdpDecimal: fields[5])
        else { return nil }
        var index = 8
        var relatedAddress: String?
        var relatedPort: UInt16?
        if index + 1 < fields.count, fields[index] == "raddr" {
            relatedAddress = String(fields[index + 1])
            index += 2
        }
        if index + 1 < fields.count, fields[index] == "rport" {
            guard let value = UInt16(sdpDecimal: fields[index + 1]) else { return nil }
            relatedPort = value
            index += 2
        }
        guard (fields.count - index) % 2 == 0 else { return nil }
        var extensions: [Extension] = []
        while index < fields.count {
            extensions.append(Extension(name: String(fields[index]), value: String(fields[index + 1])))
            index += 2
        }
        self.init(
            foundation: String(fields[0]), component: component, transport: String(fields[2]), priority: priority,
            address: String(fields[4]), port: port, kind: Kind(fields[7]), relatedAddress: relatedAddress,
            relatedPort: relatedPort, extensions: extensions)
    }

    /// Parses the `candidate:...` string trickled through `RTCIceCandidate.candidate` (RFC 8840 §8.1),
    /// with or without the `a=` prefix.
    public init?(trickled text: some StringProtocol) {
        var rest = Substring(text)
        if rest.hasPrefix("a=") { rest = rest.dropFirst(2) }
        guard rest.hasPrefix("candidate:") else { return nil }
        self.init(attributeValue: rest.dropFirst("candidate:".count))
    }

    public var attributeValue: String {
        var text = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(kind.token)"
        if let relatedAddress { text += " raddr \(relatedAddress)" }
        if let relatedPort { text += " rport \(relatedPort)" }
        for item in extensions { text += " \(item.name) \(item.value)" }
        return text
    }

    /// The value of the first extension named `name`, e.g. `tcptype`.
    public func extensionValue(_ name: String) -> String? {
        extensions.first { $0.name == name }?.value
    }
}
