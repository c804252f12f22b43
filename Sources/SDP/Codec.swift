/// One payload type of an RTP section with its `rtpmap`, `fmtp` and `rtcp-fb` lines gathered.
///
/// Those three attributes are scattered and keyed by payload type; codec negotiation (RFC 3264 §6.1,
/// RFC 8829 §5.3.1) works on this joined view.
public struct Codec: Equatable, Hashable, Sendable {
    public var rtpMap: RTPMap
    /// The `fmtp` parameter string, verbatim.
    public var parameters: String?
    /// Feedback that applies to this payload type, including `*` wildcards.
    public var feedback: [RTCPFeedback]

    public init(rtpMap: RTPMap, parameters: String? = nil, feedback: [RTCPFeedback] = []) {
        self.rtpMap = rtpMap
        self.parameters = parameters
        self.feedback = feedback
    }

    public var payloadType: UInt8 { rtpMap.payloadType }

    /// The value of an `fmtp` `key=value` parameter, e.g. `apt` for RTX.
    public func parameter(_ key: String) -> String? {
        guard let parameters else { return nil }
        return FormatParameters(format: String(payloadType), parameters: parameters).value(for: key)
    }
}
