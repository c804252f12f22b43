/// One accepted m-line of a participant's offer, reduced to what the forwarding path needs.
public struct NegotiatedMedia: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case audio, video
    }

    /// Which way media flows on this m-line, seen from the relay.
    public enum Flow: Sendable, Equatable {
        /// The participant sends; the relay receives and forwards.
        case publish
        /// The relay sends to the participant.
        case subscribe
    }

    public let mid: String
    public let kind: Kind
    public let flow: Flow
    /// The codec's payload type in this participant's numbering.
    public let payloadType: UInt8
    public let clockRate: UInt32
    /// For `publish`: the SSRC the participant announced (nil when it only uses rids or mids).
    public let remoteSSRC: UInt32?
    /// For `subscribe`: the SSRC the relay sends with. For `publish`: unused (0).
    public let localSSRC: UInt32
    /// Generic NACK was offered and answered (RFC 4585 §4.2); a NACK on a leg without it is ignored.
    public var acceptsNack = false
    /// RFC 4588 retransmission payload type, when both sides negotiated `rtx` for this codec.
    public var rtxPayloadType: UInt8?
    /// For `publish`: the SSRC the participant resends on (the FID group's second). For `subscribe`: the
    /// relay's retransmission SSRC toward the participant.
    public var rtxSSRC: UInt32?
    /// RFC 2198 redundant audio (`red/48000/2` over this m-section's Opus), when both sides negotiated it.
    public var redPayloadType: UInt8?
    /// For `publish` with simulcast (RFC 8853): the layers' rids in the offer's `a=simulcast:send` order,
    /// and which of them the offer marked paused (`~`). Empty without simulcast.
    public var simulcastRIDs: [String] = []
    public var simulcastPaused: [Bool] = []
    /// The header extensions this m-section negotiated, by id.
    public var extensions = HeaderExtensionIDs()

    public init(
        mid: String, kind: Kind, flow: Flow, payloadType: UInt8, clockRate: UInt32, remoteSSRC: UInt32?,
        localSSRC: UInt32, acceptsNack: Bool = false
    ) {
        self.mid = mid
        self.kind = kind
        self.flow = flow
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.remoteSSRC = remoteSSRC
        self.localSSRC = localSSRC
        self.acceptsNack = acceptsNack
    }
}
