import DTLS
import SDP

/// A client's answer to the relay's subscribe offer, reduced to what the engine needs. Parsed off the
/// media event loop, like offers.
public struct SubscriptionAnswer: Sendable {
    struct Section: Sendable, Equatable {
        var mid: String
        var accepted: Bool
        var acceptsNack: Bool
        var acceptsRTX: Bool
        var acceptsRED: Bool
        /// The relay's offered extensions the answer kept (RFC 8285 §5: an answer echoes offered ids).
        var extensions: HeaderExtensionIDs
    }

    let ufrag: String
    let fingerprint: DTLSFingerprint
    let sections: [Section]

    /// RFC 8829 §5.3 answer checks: one m-section per offered one, ICE credentials, a sha-256 fingerprint,
    /// and `setup:active` (the relay is always the DTLS server).
    public init(parsing text: String, maximumSections: Int) throws(RelayError) {
        let count = RelayEngine.mediaLineCount(text)
        guard count <= maximumSections else {
            throw .invalidOffer("the answer has \(count) m-lines; the offer had at most \(maximumSections)")
        }
        let answer: SessionDescription
        do {
            answer = try SessionDescription(parsing: text)
        } catch {
            throw .invalidOffer("SDP: \(error)")
        }
        guard let ufrag = answer.media.lazy.compactMap({ answer.iceUfrag(of: $0) }).first else {
            throw .invalidOffer("the answer has no ice-ufrag")
        }
        guard let fingerprint = answer.media.lazy.flatMap({ answer.fingerprints(of: $0) })
            .first(where: { $0.hashFunction.lowercased() == "sha-256" }),
            let parsed = DTLSFingerprint(sdpValue: fingerprint.attributeValue)
        else { throw .invalidOffer("the answer has no sha-256 DTLS fingerprint") }
        for section in answer.media where !section.isRejected {
            if let setup = answer.setup(of: section), setup != .active {
                throw .invalidOffer("the answer must take setup:active; the relay is the DTLS server")
            }
        }
        self.ufrag = ufrag
        self.fingerprint = parsed
        self.sections = answer.media.map { section in
            let codec = section.codecs.first
            let nack = codec?.feedback.contains { $0.type == "nack" && $0.parameter == nil } ?? false
            let rtx = codec.map { codec in
                section.codecs.contains {
                    $0.rtpMap.encodingName.lowercased() == "rtx" && $0.parameter("apt") == String(codec.payloadType)
                }
            } ?? false
            let kind: NegotiatedMedia.Kind = section.type == .audio ? .audio : .video
            var extensions = HeaderExtensionIDs.accepted(in: section, kind: kind, publishing: false, allowsMixed: false)
            let offered = HeaderExtensionIDs.relayOffer(kind: kind)
            // Only what the relay offered, under the ids it offered.
            if extensions.mid != offered.mid { extensions.mid = nil }
            if extensions.absoluteSendTime != offered.absoluteSendTime { extensions.absoluteSendTime = nil }
            if extensions.transportWideSequence != offered.transportWideSequence { extensions.transportWideSequence = nil }
            if extensions.audioLevel != offered.audioLevel { extensions.audioLevel = nil }
            if extensions.videoOrientation != offered.videoOrientation { extensions.videoOrientation = nil }
            return Section(
                mid: section.mid ?? "", accepted: !section.isRejected && codec != nil, acceptsNack: nack,
                acceptsRTX: nack && rtx,
                acceptsRED: codec.map { opus in section.codecs.contains { OfferNegotiator.isRed($0, over: opus.payloadType) } }
                    ?? false,
                extensions: extensions)
        }
    }
}
