import SDP

/// One track the relay sends on the room socket's subscribe connection, as the client learns it next to
/// the offer (which m-section carries whose camera, microphone or screen).
public struct SubscribedTrack: Sendable, Equatable {
    public var mid: String
    public var kind: NegotiatedMedia.Kind
    public var userID: String
    public var source: TrackSource
}

/// The relay's offer on a subscribe connection, and what it carries.
public struct SubscriptionOffer: Sendable, Equatable {
    public var participantID: String
    public var sdp: String
    public var tracks: [SubscribedTrack]
}

/// Writes the relay's offers for a subscribe connection (JSEP §5.2 as an ice-lite offerer): one sendonly
/// m-section per slot, all in one BUNDLE. A slot whose track went away stays as `inactive` and is
/// reused for the next track of its kind, so m-sections never pile up over a long session and the
/// browser keeps one transceiver per slot.
enum SubscriptionOfferWriter {
    struct Slot {
        var mid: String
        var kind: NegotiatedMedia.Kind
        var localSSRC: UInt32
        /// The slot's RTX SSRC (video), announced with the media SSRC in an FID group.
        var rtxSSRC: UInt32?
        /// The stream and track ids (`a=msid`) of what the slot carries now; nil when inactive.
        var stream: (id: String, track: String)?
    }

    static let opus = Codec(
        rtpMap: RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48_000, channels: 2),
        parameters: "minptime=10;useinbandfec=1",
        feedback: OfferNegotiator.feedback(for: .audio).map {
            RTCPFeedback(payloadType: 111, type: $0.type, parameter: $0.parameter)
        })
    static let vp8 = Codec(
        rtpMap: RTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90_000),
        feedback: OfferNegotiator.feedback(for: .video).map {
            RTCPFeedback(payloadType: 96, type: $0.type, parameter: $0.parameter)
        })

    static let red = Codec(
        rtpMap: RTPMap(payloadType: 63, encodingName: "red", clockRate: 48_000, channels: 2), parameters: "111/111")
    static let rtx = Codec(
        rtpMap: RTPMap(payloadType: 97, encodingName: "rtx", clockRate: 90_000), parameters: "apt=96")

    static func codec(for kind: NegotiatedMedia.Kind) -> Codec { kind == .audio ? opus : vp8 }

    static func write(_ slots: [Slot], state: NegotiationState, version: UInt64) -> String {
        var sections: [MediaDescription] = []
        for slot in slots {
            var section = MediaDescription(
                type: slot.kind == .audio ? .audio : .video, port: 9, proto: .udpTLSRTPSAVPF, formats: [])
            section.mid = slot.mid
            state.local.describe(&section, setup: "actpass")
            section.attributes.append(Attribute(name: slot.stream == nil ? "inactive" : "sendonly"))
            section.append(.rtcpMux)
            section.append(.rtcpReducedSize)
            for map in HeaderExtensionIDs.relayOffer(kind: slot.kind).maps { section.append(map) }
            section.addCodec(codec(for: slot.kind))
            if slot.rtxSSRC != nil { section.addCodec(rtx) }
            if slot.kind == .audio { section.addCodec(red) }
            if let stream = slot.stream {
                section.append(MediaStreamID(streamID: stream.id, trackID: stream.track))
                let ssrcs = [slot.localSSRC] + (slot.rtxSSRC.map { [$0] } ?? [])
                if ssrcs.count > 1 { section.append(SSRCGroup(semantics: "FID", ssrcs: ssrcs)) }
                for ssrc in ssrcs {
                    section.append(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: state.cname))
                    section.append(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: "\(stream.id) \(stream.track)"))
                }
            }
            state.local.appendCandidates(to: &section)
            sections.append(section)
        }
        let attributes = [
            Attribute(.iceLite),
            Attribute(Group(semantics: Group.bundle, mids: slots.map(\.mid))),
            Attribute(name: "msid-semantic", value: " WMS *"),
        ]
        return SessionDescription(
            origin: Origin(sessionID: state.sessionID, sessionVersion: version, address: "127.0.0.1"),
            sessionName: "-", attributes: attributes, media: sections
        ).serialized()
    }
}
