/// A whole session description (RFC 8866 §5): session-level fields, then media sections.
///
/// Fields keep the input's text so `SessionDescription(parsing:)` → `serialized()` reproduces any
/// well-formed input byte for byte (with CRLF endings); typed attribute views sit on top.
public struct SessionDescription: AttributeContainer, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// `v=`; always 0 (RFC 8866 §5.1).
    public var version: Int
    public var origin: Origin
    /// `s=`; WebRTC writes `-` (RFC 8829 §5.2.1).
    public var sessionName: String
    /// `i=`
    public var information: String?
    /// `u=`
    public var uri: String?
    /// `e=` lines.
    public var emails: [String]
    /// `p=` lines.
    public var phones: [String]
    /// Session-level `c=`, the default for media without their own (RFC 8866 §5.7).
    public var connection: Connection?
    /// `b=` lines.
    public var bandwidths: [Bandwidth]
    /// Time descriptions (`t=` with its `r=` and `z=` lines); at least one.
    public var timing: [Timing]
    /// `k=` (obsolete, RFC 8866 §5.12), verbatim.
    public var encryptionKey: String?
    /// Session-level `a=` lines, in order.
    public var attributes: [Attribute]
    public var media: [MediaDescription]

    public init(
        origin: Origin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
        emails: [String] = [], phones: [String] = [], connection: Connection? = nil, bandwidths: [Bandwidth] = [],
        timing: [Timing] = [Timing()], encryptionKey: String? = nil,
        attributes: [Attribute] = [], media: [MediaDescription] = []
    ) {
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }

    /// Parses SDP text. Lines may end in CRLF (RFC 8866 §5) or bare LF (tolerated, as many stacks
    /// and hand-written descriptions use it).
    public init(parsing text: String) throws(SDPParseError) {
        self = try SDPParser.parse(text)
    }

    /// Parses UTF-8 bytes, e.g. an HTTP body from a WHIP/WHEP client.
    public init(parsing bytes: some Collection<UInt8>) throws(SDPParseError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SDPParseError(line: 0, reason: .invalidEncoding)
        }
        try self.init(parsing: text)
    }

    /// The description as SDP text in RFC 8866 §5 field order, every line ending in CRLF.
    public func serialized() -> String {
        var out = ""
        out.reserveCapacity(64 * (attributes.count + media.reduce(8) { $0 + $1.attributes.count + 4 }))
        func line(_ type: String, _ value: String) {
            out += type
            out += value
            out += "\r\n"
        }
        line("v=", String(version))
        line("o=", origin.fieldValue)
        line("s=", sessionName)
        if let information { line("i=", information) }
        if let uri { line("u=", uri) }
        for email in emails { line("e=", email) }
        for phone in phones { line("p=", phone) }
        if let connection { line("c=", connection.fieldValue) }
        for bandwidth in bandwidths { line("b=", bandwidth.fieldValue) }
        for time in timing {
            line("t=", time.fieldValue)
            for repeatTime in time.repeats { line("r=", repeatTime) }
            if let zones = time.zoneAdjustments { line("z=", zones) }
        }
        if let encryptionKey { line("k=", encryptionKey) }
        for attribute in attributes { line("a=", attribute.fieldValue) }
        for section in media {
            line("m=", section.mediaLine)
            if let information = section.information { line("i=", information) }
            for connection in section.connections { line("c=", connection.fieldValue) }
            for bandwidth in section.bandwidths { line("b=", bandwidth.fieldValue) }
            if let key = section.encryptionKey { line("k=", key) }
            for attribute in section.attributes { line("a=", attribute.fieldValue) }
        }
        return out
    }

    public var description: String { serialized() }

    // MARK: Session-level attributes

    /// `a=group` lines (RFC 5888).
    public var groups: [Group] { values() }

    /// The first `a=group:BUNDLE` (RFC 9143); WebRTC offers at most one per transport.
    public var bundleGroup: Group? {
        groups.first { $0.semantics == Group.bundle }
    }

    /// The section whose `a=mid` is `mid`.
    public func media(withMid mid: String) -> MediaDescription? {
        media.first { $0.mid == mid }
    }

    // MARK: Effective values (media level overrides session level)

    /// RFC 8839 §5.4: a media-level `ice-ufrag` overrides the session-level one.
    public func iceUfrag(of section: MediaDescription) -> String? { section.iceUfrag ?? iceUfrag }

    public func icePwd(of section: MediaDescription) -> String? { section.icePwd ?? icePwd }

    /// RFC 8122 §5: fingerprints may sit at session level (Firefox puts them there).
    public func fingerprints(of section: MediaDescription) -> [Fingerprint] {
        let own = section.fingerprints
        return own.isEmpty ? fingerprints : own
    }

    public func setup(of section: MediaDescription) -> SetupRole? { section.setup ?? setup }

    /// RFC 8866 §6.7: media level, else session level, else `sendrecv`.
    public func direction(of section: MediaDescription) -> MediaDirection {
        section.direction ?? direction ?? .sendrecv
    }
}
