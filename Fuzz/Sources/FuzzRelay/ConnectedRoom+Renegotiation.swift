import PeerClient
import Relay
import SDP

/// The publisher sends a new offer on its connection (a screen share added or removed, an ICE restart).
extension ConnectedRoom {
    /// Renegotiates with `template` (placeholders filled with the publisher's values, see `fill`) or,
    /// when it is empty, with the publisher's offer plus a screen share (mid 2), or without it again
    /// if it already has one. The publisher's peer keeps its transport: only the engine is told.
    func renegotiate(template: String) {
        let published = engine.publishedSources(participantID: publisher.participantID)
        let text = template.isEmpty
            ? (published.count >= 3 ? publisherOffer : Self.addingScreen(to: publisherOffer, of: publisher.peer))
            : fill(template, for: publisher.peer)
        do {
            let prepared = try RelayEngine.prepare(
                .init(
                    roomID: "room", userID: "mentor", role: .host, intent: .publish, offer: text, sources: ["2": .screen]),
                configuration: engine.configuration, fingerprint: engine.certificate.fingerprint, continuing: continuation)
            precondition((try? SessionDescription(parsing: prepared.answer)) != nil, "the relay's answer does not parse")
            let result = try engine.renegotiate(participantID: publisher.participantID, with: prepared, now: now)
            continuation = result.continuation
            trace?("renegotiated: \(engine.publishedSources(participantID: publisher.participantID))")
        } catch {
            return trace?("renegotiation: \(error)") ?? ()
        }
        roomChanged()
    }

    /// The offer's video section again as mid 2, on SSRCs one above the camera's (`screenSSRC`).
    static func addingScreen(to offer: String, of peer: PeerClient) -> String {
        guard let start = offer.firstRange(of: "m=video") else { return offer }
        let screen = String(offer[start.lowerBound...]).replacing("a=mid:1", with: "a=mid:2")
            .replacing("\(peer.videoSSRC)", with: "\(peer.videoSSRC &+ 1)")
            .replacing("\(peer.videoRTXSSRC)", with: "\(peer.videoRTXSSRC &+ 1)")
        return offer.replacing("a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2") + screen
    }

    /// SDP from the input with the peer's own values put in, so a mutated offer or answer can still
    /// continue the session: `{ufrag}`, `{pwd}`, `{fingerprint}` (with its "sha-256 " prefix),
    /// `{audio-ssrc}`, `{video-ssrc}`, `{rtx-ssrc}` (the camera's RTX), `{screen-ssrc}`.
    func fill(_ template: String, for peer: PeerClient) -> String {
        template.replacing("{ufrag}", with: peer.localUfrag).replacing("{pwd}", with: peer.localPassword)
            .replacing("{fingerprint}", with: peer.certificate.fingerprint.sdpValue)
            .replacing("{audio-ssrc}", with: "\(peer.audioSSRC)").replacing("{video-ssrc}", with: "\(peer.videoSSRC)")
            .replacing("{rtx-ssrc}", with: "\(peer.videoRTXSSRC)").replacing("{screen-ssrc}", with: "\(peer.videoSSRC &+ 1)")
    }
}
