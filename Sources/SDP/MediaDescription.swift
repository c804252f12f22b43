/// One media section: the `m=` line and the fields and attributes under it (RFC 8866 §5.14).
///
/// In WebRTC each section is one transceiver (RFC 8829 §5.2.1) and, with BUNDLE, all share a transport.
public struct MediaDescription: AttributeContainer, Equatable, Hashable, Sendable {
    public var type: MediaType
    /// 9 (the discard port) is what WebRTC writes when ICE decides the address; 0 rejects the section.
    public var port: UInt16
    /// The `/<number of ports>` suffix, rarely used.
    public var portCount: UInt16?
    public var proto: TransportProtocol
    /// Payload types for RTP protocols, `webrtc-datachannel` for SCTP; verbatim. The grammar needs at
    /// least one (RFC 8866 §5.14), so a section built without any will not re-parse.
    public var formats: [String]
    /// `i=`
    public var information: String?
    /// `c=` lines (more than one only for layered multicast).
    public var connections: [Connection]
    /// `b=` lines.
    public var bandwidths: [Bandwidth]
    /// `k=` (obsolete, RFC 8866 §5.12), kept verbatim.
    public var encryptionKey: String?
    public var attributes: [Attribute]

    public init(
        type: MediaType, port: UInt16 = 9, portCount: UInt16? = nil, proto: TransportProtocol = .udpTLSRTPSAVPF,
        formats: [String] = [], information: String? = nil, connections: [Connection] = [Connection()],
        bandwidths: [Bandwidth] = [], encryptionKey: String? = nil, attributes: [Attribute] = []
    ) {
        self.type = type
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    init?(mediaLine value: Substring) {
        let fields = value.sdpFields()
        guard fields.count >= 4, !fields.contains(where: \.isEmpty) else { return nil }
        let (portText, countText) = fields[1].splitOnce("/")
        guard let port = UInt16(sdpDecimal: portText) else { return nil }
        var count: UInt16?
        if let countText {
            guard let value = UInt16(sdpDecimal: countText) else { return nil }
            count = value
        }
        self.init(
            type: MediaType(fields[0]), port: port, portCount: count,
            proto: TransportProtocol(rawValue: String(fields[2])),
            formats: fields[3...].map(String.init), connections: [])
    }

    var mediaLine: String {
        var text = "\(type.token) \(port)"
        if let portCount { text += "/\(portCount)" }
        text += " \(proto.rawValue)"
        for format in formats { text += " \(format)" }
        return text
    }

    /// A zero port marks a rejected or removed section (RFC 3264 §6, RFC 8843 §7.3.3 for bundled ones).
    public var isRejected: Bool { port == 0 }

    /// The first `c=` line.
    public var connection: Connection? { connections.first }

    /// `formats` as RTP payload types, skipping any that are not numbers.
    public var payloadTypes: [UInt8] {
        formats.compactMap { UInt8(sdpDecimal: Substring($0)) }
    }

    // MARK: Identification and transport

    /// `a=mid` (RFC 5888 §4): the tag BUNDLE groups and the mid header extension refer to.
    public var mid: String? {
        get { attributes.first { $0.name == "mid" }?.value }
        set { replaceAttribute(named: "mid", value: newValue) }
    }

    public var candidates: [Candidate] { values() }

    /// `a=sctp-port` for data channel sections (RFC 8841 §5.1).
    public var sctpPort: UInt16? {
        get { attributes.first { $0.name == "sctp-port" }?.value.flatMap { UInt16(sdpDecimal: Substring($0)) } }
        set { replaceAttribute(named: "sctp-port", value: newValue.map(String.init)) }
    }

    // MARK: Codecs

    public var rtpMaps: [RTPMap] { values() }
    public var formatParameters: [FormatParameters] { values() }
    public var rtcpFeedback: [RTCPFeedback] { values() }

    public func rtpMap(for payloadType: UInt8) -> RTPMap? {
        rtpMaps.first { $0.payloadType == payloadType }
    }

    public func formatParameters(for payloadType: UInt8) -> FormatParameters? {
        formatParameters.first { $0.payloadType == payloadType }
    }

    public func rtcpFeedback(for payloadType: UInt8) -> [RTCPFeedback] {
        rtcpFeedback.filter { $0.applies(to: payloadType) }
    }

    /// Every payload type in `m=` line order (the offerer's preference, RFC 3264 §5.1) that has an rtpmap.
    public var codecs: [Codec] {
        let index = CodecIndex(self)
        return payloadTypes.compactMap { index.codec($0) }
    }

    /// The first codec in preference order whose rtpmap matches. Linear in the section's size, so a
    /// hostile offer with thousands of formats and rtpmaps costs thousands of steps, not millions.
    public func firstCodec(matching predicate: (RTPMap) -> Bool) -> Codec? {
        let index = CodecIndex(self)
        for pt in payloadTypes {
            if let map = index.maps[pt], predicate(map) { return index.codec(pt) }
        }
        return nil
    }

    /// Adds a codec: its payload type to the `m=` line if missing, then `rtpmap`, `rtcp-fb` and `fmtp`
    /// lines in the order libwebrtc writes them.
    public mutating func addCodec(_ codec: Codec) {
        let pt = String(codec.payloadType)
        if !formats.contains(pt) { formats.append(pt) }
        append(codec.rtpMap)
        for feedback in codec.feedback {
            var feedback = feedback
            feedback.payloadType = codec.payloadType
            append(feedback)
        }
        if let parameters = codec.parameters {
            append(FormatParameters(format: pt, parameters: parameters))
        }
    }

    // MARK: Streams

    public var msids: [MediaStreamID] { values() }
    public var ssrcAttributes: [SSRCAttribute] { values() }
    public var ssrcGroups: [SSRCGroup] { values() }
    public var rids: [RID] { values() }

    /// `a=simulcast` (RFC 8853: at most one per section).
    public var simulcast: Simulcast? {
        get { firstValue() }
        set { replaceAttribute(named: Simulcast.attributeName, value: newValue?.attributeValue) }
    }

    /// Distinct SSRCs named by `a=ssrc` lines, in first-appearance order.
    public var ssrcs: [UInt32] {
        var seen: Set<UInt32> = []
        return ssrcAttributes.compactMap { seen.insert($0.ssrc).inserted ? $0.ssrc : nil }
    }

    /// The value of `a=ssrc:<ssrc> <attribute>:...`, e.g. `cname`.
    public func ssrcAttribute(_ attribute: String, of ssrc: UInt32) -> String? {
        ssrcAttributes.first { $0.ssrc == ssrc && $0.attribute == attribute }?.value
    }
}

/// rtpmap, fmtp and rtcp-fb lines by payload type, read in one pass over the attributes.
private struct CodecIndex {
    var maps: [UInt8: RTPMap] = [:]
    var parameters: [UInt8: String] = [:]
    /// Each with its position among the section's rtcp-fb lines, to merge wildcards back in order.
    var feedback: [UInt8: [(Int, RTCPFeedback)]] = [:]
    var wildcardFeedback: [(Int, RTCPFeedback)] = []

    init(_ section: MediaDescription) {
        for map in section.rtpMaps where maps[map.payloadType] == nil { maps[map.payloadType] = map }
        for fmtp in section.formatParameters {
            if let pt = fmtp.payloadType, parameters[pt] == nil { parameters[pt] = fmtp.parameters }
        }
        for (position, item) in section.rtcpFeedback.enumerated() {
            if let pt = item.payloadType {
                feedback[pt, default: []].append((position, item))
            } else {
                wildcardFeedback.append((position, item))
            }
        }
    }

    /// Feedback keeps the section's line order, wildcards included.
    func codec(_ pt: UInt8) -> Codec? {
        guard let map = maps[pt] else { return nil }
        let own = feedback[pt] ?? []
        var items: [RTCPFeedback] = []
        items.reserveCapacity(own.count + wildcardFeedback.count)
        var (i, j) = (0, 0)
        while i < own.count || j < wildcardFeedback.count {
            if j == wildcardFeedback.count || (i < own.count && own[i].0 < wildcardFeedback[j].0) {
                items.append(own[i].1)
                i += 1
            } else {
                items.append(wildcardFeedback[j].1)
                j += 1
            }
        }
        return Codec(rtpMap: map, parameters: parameters[pt], feedback: items)
    }
}
