import DTLS
import SDP

/// Answers a participant's offer as an ice-lite, DTLS-passive SFU (RFC 8829 answer rules, RFC 8843
/// BUNDLE, RFC 8842 setup:passive). It accepts Opus and VP8 only: the relay forwards without
/// transcoding, so every participant must speak the same codecs.
struct OfferNegotiator {
    /// What the participant wants to do with the session.
    enum Intent: Sendable, Equatable {
        /// WHIP: the participant sends; m-lines it only wants to receive are made inactive.
        case publish
        /// WHEP: the participant receives; the relay sends on every audio/video m-line.
        case subscribe
    }

    struct Result {
        var answer: SessionDescription
        var media: [NegotiatedMedia]
        var remoteUfrag: String
        var remotePassword: String
        var remoteFingerprint: DTLSFingerprint
    }

    var local: LocalTransportDescription
    /// CNAME and stream id the relay uses for what it sends (RFC 7022: random per session).
    var cname: String
    var sessionID: UInt64
    var sessionVersion: UInt64 = 1
    var makeSSRC: () -> UInt32
    /// m-lines an offer may have; more is refused before any per-section work.
    var maximumMediaSections = 16
    /// Take a publisher's transport-wide sequence numbers and answer them with transport feedback.
    var publisherTransportCC = false
    /// Video sections one publisher may send: a camera and a screen share.
    var maximumPublishedVideo = 2
    /// Simulcast layers one video section may offer (RFC 8851 rids), and the longest rid accepted: more
    /// would only make the relay track streams nobody asked for.
    static let maximumRIDs = 4
    static let maximumRIDLength = 16

    func negotiate(_ offer: SessionDescription, intent: Intent) throws(RelayError) -> Result {
        guard offer.media.count <= maximumMediaSections else {
            throw .invalidOffer("the offer has \(offer.media.count) m-lines; the relay accepts at most \(maximumMediaSections)")
        }
        guard let ufrag = offer.media.lazy.compactMap({ offer.iceUfrag(of: $0) }).first,
            let password = offer.media.lazy.compactMap({ offer.icePwd(of: $0) }).first
        else { throw .invalidOffer("the offer has no ice-ufrag/ice-pwd") }
        guard let fingerprint = offer.media.lazy.flatMap({ offer.fingerprints(of: $0) })
            .first(where: { $0.hashFunction.lowercased() == "sha-256" }),
            let remoteFingerprint = DTLSFingerprint(sdpValue: fingerprint.attributeValue)
        else { throw .invalidOffer("the offer has no sha-256 DTLS fingerprint") }
        let bundled = Set(offer.bundleGroup?.mids ?? [])
        let usableCount = offer.media.filter { Self.isOffered($0, bundled: bundled) && ($0.type == .audio || $0.type == .video) }.count
        if usableCount > 1 && bundled.isEmpty {
            throw .invalidOffer("the relay needs BUNDLE: offer all media in one a=group:BUNDLE")
        }

        var answerMedia: [MediaDescription] = []
        var negotiated: [NegotiatedMedia] = []
        for section in offer.media {
            // A subscriber gets one audio and one video section (a second would attach the same source
            // again and double what the relay sends it); a publisher may add a screen share to its camera.
            if let (answer, media) = try accept(section, of: offer, intent: intent, bundled: bundled),
                negotiated.filter({ $0.kind == media.kind && $0.flow == media.flow }).count
                    < (media.flow == .publish && media.kind == .video ? maximumPublishedVideo : 1)
            {
                answerMedia.append(answer)
                negotiated.append(media)
            } else {
                answerMedia.append(rejection(of: section))
            }
        }
        guard !negotiated.isEmpty else { throw .noUsableMedia }
        for index in answerMedia.indices where !answerMedia[index].isRejected {
            local.appendCandidates(to: &answerMedia[index])
        }

        var attributes: [Attribute] = [Attribute(.iceLite)]
        attributes.append(Attribute(Group(semantics: Group.bundle, mids: negotiated.map(\.mid))))
        if offer.contains(.extmapAllowMixed) { attributes.append(Attribute(.extmapAllowMixed)) }
        attributes.append(Attribute(name: "msid-semantic", value: " WMS *"))
        let answer = SessionDescription(
            origin: Origin(sessionID: sessionID, sessionVersion: sessionVersion, address: "127.0.0.1"),
            sessionName: "-", attributes: attributes, media: answerMedia)
        return Result(
            answer: answer, media: negotiated, remoteUfrag: ufrag, remotePassword: password,
            remoteFingerprint: remoteFingerprint)
    }

    private func accept(
        _ section: MediaDescription, of offer: SessionDescription, intent: Intent, bundled: Set<String>
    ) throws(RelayError) -> (MediaDescription, NegotiatedMedia)? {
        guard Self.isOffered(section, bundled: bundled), let mid = section.mid else { return nil }
        let kind: NegotiatedMedia.Kind
        switch section.type {
        case .audio: kind = .audio
        case .video: kind = .video
        default: return nil
        }
        if !bundled.isEmpty && !bundled.contains(mid) { return nil }
        guard section.contains(.rtcpMux) else { throw .invalidOffer("m-line \(mid) lacks rtcp-mux") }
        let offered = offer.direction(of: section)
        let flow: NegotiatedMedia.Flow
        let answerDirection: MediaDirection
        switch (intent, offered) {
        case (.publish, .sendonly), (.publish, .sendrecv):
            (flow, answerDirection) = (.publish, .recvonly)
        case (.subscribe, .recvonly), (.subscribe, .sendrecv):
            (flow, answerDirection) = (.subscribe, .sendonly)
        default:
            return nil
        }
        guard let codec = section.firstCodec(matching: { Self.isSupported($0, kind: kind) }) else { return nil }

        var answer = MediaDescription(type: section.type, port: 9, proto: section.proto, formats: [])
        answer.mid = mid
        local.describe(&answer, setup: "passive")
        answer.attributes.append(Attribute(name: answerDirection.rawValue))
        answer.append(.rtcpMux)
        if section.contains(.rtcpReducedSize) { answer.append(.rtcpReducedSize) }
        // Header extensions keep the offerer's ids (RFC 8285 §5); each consumer rewrites a publisher's
        // ids into its subscriber's.
        let extensions = HeaderExtensionIDs.accepted(
            in: section, kind: kind, publishing: flow == .publish, allowsMixed: offer.contains(.extmapAllowMixed),
            publisherTransportCC: publisherTransportCC)
        for map in extensions.maps { answer.append(map) }
        let offeredFeedback = Set(codec.feedback.map { "\($0.type) \($0.parameter ?? "")" })
        // transport-cc feedback only with the transport-wide sequence numbers it reports on.
        let feedback = Self.feedback(for: kind).filter {
            offeredFeedback.contains("\($0.type) \($0.parameter ?? "")")
                && ($0.type != "transport-cc" || extensions.transportWideSequence != nil)
        }
        answer.addCodec(Codec(rtpMap: codec.rtpMap, parameters: codec.parameters, feedback: feedback))
        let acceptsNack = feedback.contains { $0.type == "nack" && $0.parameter == nil }
        // RFC 4588 retransmission for a NACKed video codec: the publisher repairs its uplink on its own
        // SSRC, and the relay repairs a subscriber's downlink the same way.
        let rtx = acceptsNack
            ? section.codecs.first {
                $0.rtpMap.encodingName.lowercased() == "rtx" && $0.parameter("apt") == String(codec.payloadType)
            } : nil
        if let rtx {
            answer.addCodec(Codec(rtpMap: rtx.rtpMap, parameters: "apt=\(codec.payloadType)"))
        }
        // Opus RED (RFC 2198) passes through when both sides speak it; a subscriber without it gets the
        // primary encoding. DTX and in-band FEC are the Opus fmtp's, answered as offered.
        let red = kind == .audio ? section.codecs.first { Self.isRed($0, over: codec.payloadType) } : nil
        if let red { answer.addCodec(Codec(rtpMap: red.rtpMap, parameters: red.parameters)) }

        // RFC 8853: the layers come in on SSRCs learned from their rid, so the answer receives each rid.
        let layers = flow == .publish && kind == .video ? try Self.simulcastLayers(of: section, mid: mid, extensions: extensions) : []
        if !layers.isEmpty {
            for layer in layers { answer.append(RID(id: layer.id, direction: .recv)) }
            answer.append(Simulcast(send: [], recv: layers.map { [Simulcast.RIDReference(id: $0.id, isPaused: $0.isPaused)] }))
        }

        var remoteSSRC: UInt32?
        var localSSRC: UInt32 = 0
        var rtxSSRC: UInt32?
        switch flow {
        case .publish:
            // RFC 5576 §4.2: with an FID group the first SSRC is the media, the second its RTX.
            let fid = section.ssrcGroups.first(where: { $0.semantics == "FID" })?.ssrcs
            remoteSSRC = fid?.first ?? section.ssrcAttributes.first?.ssrc
            if rtx != nil, let fid, fid.count == 2 { rtxSSRC = fid[1] }
        case .subscribe:
            localSSRC = makeSSRC()
            let track = "\(kind.rawValue)-\(localSSRC)"
            answer.append(MediaStreamID(streamID: cname, trackID: track))
            var ssrcs = [localSSRC]
            if rtx != nil {
                let resend = makeSSRC()
                rtxSSRC = resend
                ssrcs.append(resend)
                answer.append(SSRCGroup(semantics: "FID", ssrcs: ssrcs))
            }
            for ssrc in ssrcs {
                answer.append(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: cname))
                answer.append(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: "\(cname) \(track)"))
            }
        }
        var media = NegotiatedMedia(
            mid: mid, kind: kind, flow: flow, payloadType: codec.payloadType, clockRate: codec.rtpMap.clockRate,
            remoteSSRC: remoteSSRC, localSSRC: localSSRC, acceptsNack: acceptsNack)
        media.extensions = extensions
        media.redPayloadType = red?.payloadType
        media.simulcastRIDs = layers.map(\.id)
        media.simulcastPaused = layers.map(\.isPaused)
        // Simulcast layers learn their RTX SSRCs from the repaired rid: the payload type is enough here.
        if rtxSSRC != nil || (!layers.isEmpty && rtx != nil) {
            media.rtxPayloadType = rtx?.payloadType
            media.rtxSSRC = rtxSSRC
        }
        return (answer, media)
    }

    /// The layers of a simulcast offer (`a=rid:… send` and `a=simulcast:send`), in the offer's order,
    /// the first alternative of each stream. Empty when the section does not offer simulcast, or offers it
    /// without the rtp-stream-id extension (the layers could not be told apart: the answer takes one
    /// stream). An offer with too many or too long rids, or a simulcast list naming an undeclared or
    /// repeated rid, is refused.
    static func simulcastLayers(
        of section: MediaDescription, mid: String, extensions: HeaderExtensionIDs
    ) throws(RelayError) -> [Simulcast.RIDReference] {
        let lines = section.attributes.filter { $0.name == RID.attributeName }.count
        let offered = section.attributes.contains { $0.name == Simulcast.attributeName }
        guard lines > 0 || offered else { return [] }
        guard lines <= maximumRIDs else {
            throw .invalidOffer("m-line \(mid) offers \(lines) rids; the relay takes at most \(maximumRIDs)")
        }
        let rids = section.rids
        guard rids.count == lines else { throw .invalidOffer("m-line \(mid) has a malformed a=rid") }
        guard rids.allSatisfy({ $0.id.utf8.count <= maximumRIDLength }) else {
            throw .invalidOffer("m-line \(mid) has a rid longer than \(maximumRIDLength) characters")
        }
        guard Set(rids.map(\.id)).count == rids.count else { throw .invalidOffer("m-line \(mid) repeats a rid") }
        guard let simulcast = section.simulcast else {
            if offered { throw .invalidOffer("m-line \(mid) has a malformed a=simulcast") }
            return []
        }
        guard simulcast.send.count <= maximumRIDs else {
            throw .invalidOffer("m-line \(mid) offers \(simulcast.send.count) simulcast streams; the relay takes at most \(maximumRIDs)")
        }
        var layers: [Simulcast.RIDReference] = []
        for stream in simulcast.send {
            guard let first = stream.first, rids.contains(where: { $0.id == first.id && $0.direction == .send }) else {
                throw .invalidOffer("m-line \(mid): a=simulcast names a rid without a=rid send")
            }
            guard !layers.contains(where: { $0.id == first.id }) else {
                throw .invalidOffer("m-line \(mid): a=simulcast repeats a rid")
            }
            layers.append(first)
        }
        guard layers.count >= 2, extensions.rtpStreamID != nil else { return [] }
        return layers
    }

    /// Whether the offerer wants this m-line: a zero port rejects it, except on a `bundle-only` section
    /// of the BUNDLE group (RFC 8843 §6), which GStreamer's webrtcbin sends for every section after the
    /// first. The answer accepts those with full attributes like any other.
    static func isOffered(_ section: MediaDescription, bundled: Set<String>) -> Bool {
        guard section.isRejected else { return true }
        guard let mid = section.mid, bundled.contains(mid) else { return false }
        return section.attributes.contains { $0.name == "bundle-only" }
    }

    /// RFC 8829 §5.3.1: a rejected m-line keeps its type and mid with port 0. It also carries the
    /// transport attributes: strict parsers (GStreamer's webrtcbin) refuse an answer with any m-section
    /// lacking a fingerprint, rejected or not.
    private func rejection(of section: MediaDescription) -> MediaDescription {
        var rejected = MediaDescription(
            type: section.type, port: 0, proto: section.proto, formats: Array(section.formats.prefix(1)))
        if let mid = section.mid { rejected.mid = mid }
        local.describe(&rejected, setup: "passive")
        rejected.attributes.append(Attribute(name: "inactive"))
        return rejected
    }

    /// `red/48000/2` whose fmtp names only the given Opus payload type (`111/111`).
    static func isRed(_ codec: Codec, over opus: UInt8) -> Bool {
        guard codec.rtpMap.encodingName.lowercased() == "red", codec.rtpMap.clockRate == 48_000,
            let parameters = codec.parameters
        else { return false }
        let blocks = parameters.split(separator: "/")
        return !blocks.isEmpty && blocks.allSatisfy { UInt8($0) == opus }
    }

    static func isSupported(_ map: RTPMap, kind: NegotiatedMedia.Kind) -> Bool {
        let name = map.encodingName.lowercased()
        switch kind {
        case .audio: return name == "opus" && map.clockRate == 48_000
        case .video: return name == "vp8" && map.clockRate == 90_000
        }
    }

    /// The feedback the relay implements: NACK from its retransmission buffer, PLI/FIR relayed to the
    /// publisher, REMB sent to publishers. Only what was also offered is answered.
    static func feedback(for kind: NegotiatedMedia.Kind) -> [RTCPFeedback] {
        switch kind {
        case .audio: [RTCPFeedback(payloadType: nil, type: "transport-cc")]
        case .video: [
            RTCPFeedback(payloadType: nil, type: "nack"),
            RTCPFeedback(payloadType: nil, type: "nack", parameter: "pli"),
            RTCPFeedback(payloadType: nil, type: "ccm", parameter: "fir"),
            RTCPFeedback(payloadType: nil, type: "goog-remb"),
            RTCPFeedback(payloadType: nil, type: "transport-cc"),
        ]
        }
    }
}
