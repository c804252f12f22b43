import PeerClient
import Relay
import SDP

/// The room socket's subscribe connection: the relay offers, the client (a PeerClient at
/// `watcherAddress`) answers, then ICE and DTLS run as for any peer.
extension ConnectedRoom {
    /// Opens the subscribe connection on first use, then answers the relay's pending offer with
    /// `template` (placeholders filled with the watcher's credentials, see `fill`) or, when it is
    /// empty, with the answer a browser would give. The first answer the engine takes starts ICE.
    func answerSubscription(template: String) {
        if watcher == nil {
            guard let peer = try? PeerClient() else { return }
            let opened: (participantID: String, offer: SubscriptionOffer?)
            do {
                opened = try engine.openSubscription(
                    .init(roomID: "room", userID: "watcher", role: .participant), now: now)
            } catch {
                preconditionFailure("the subscribe connection was refused: \(error)")
            }
            watcher = Member(peer: peer, address: watcherAddress, participantID: opened.participantID)
            pendingOffer = opened.offer
        }
        guard let watcher else { return }
        let offer = pendingOffer
        // The peer takes the relay's ICE credentials and candidate from the first offer it sees (none
        // comes while nobody publishes).
        if !watcherConfigured, let offer {
            watcherConfigured = true
            _ = try? watcher.peer.answer(offer: offer.sdp)
        }
        let text: String
        if template.isEmpty {
            guard let offer else { return trace?("no offer to answer") ?? () }
            text = Self.answer(offer.sdp, from: watcher.peer)
        } else {
            text = fill(template, for: watcher.peer)
        }
        let answer: SubscriptionAnswer
        do {
            answer = try SubscriptionAnswer(
                parsing: text, maximumSections: engine.configuration.limits.mediaSectionsPerSubscription)
        } catch {
            return trace?("answer refused: \(error)") ?? ()
        }
        do {
            pendingOffer = try engine.answerSubscription(participantID: watcher.participantID, answer: answer, now: now)
        } catch {
            return trace?("answerSubscription: \(error)") ?? ()
        }
        if let offer, let description = try? SessionDescription(parsing: offer.sdp) {
            watcherSSRCs = description.media.map { $0.ssrcs.first ?? 0 }
        }
        if !watcherAnswered {
            watcherAnswered = true
            watcher.peer.start(now: now)
            pump { watcher.peer.isConnected }
        }
        trace?("answered; watcher connected: \(watcher.peer.isConnected); next offer: \(pendingOffer != nil)")
    }

    /// An ICE restart on the subscribe connection: the relay offers new credentials.
    func restartSubscriptionICE() {
        guard let watcher else { return }
        do {
            if let offer = try engine.restartSubscriptionICE(participantID: watcher.participantID, now: now) {
                pendingOffer = offer
            }
        } catch {
            trace?("restartSubscriptionICE: \(error)")
        }
    }

    /// A browser's answer to the relay's subscribe offer: every section received (`inactive` ones
    /// stay inactive), every offered extension and RTX kept, NACK and PLI for video, no RED (so the
    /// relay sends this client the primary encoding).
    static func answer(_ offerText: String, from peer: PeerClient) -> String {
        guard let offer = try? SessionDescription(parsing: offerText) else { return "" }
        var lines = [
            "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE \(offer.media.compactMap(\.mid).joined(separator: " "))",
        ]
        for section in offer.media {
            guard let codec = section.codecs.first else { continue }
            let rtx = section.codecs.first { $0.rtpMap.encodingName.lowercased() == "rtx" }
            lines += [
                "m=\(section.type.token) 9 UDP/TLS/RTP/SAVPF \(codec.payloadType)" + (rtx.map { " \($0.payloadType)" } ?? ""),
                "c=IN IP4 0.0.0.0", "a=ice-ufrag:\(peer.localUfrag)", "a=ice-pwd:\(peer.localPassword)",
                "a=fingerprint:\(peer.certificate.fingerprint.sdpValue)", "a=setup:active", "a=mid:\(section.mid ?? "")",
            ]
            lines += section.extensionMaps.map { "a=extmap:\($0.id) \($0.uri)" }
            lines += [offer.direction(of: section) == .inactive ? "a=inactive" : "a=recvonly", "a=rtcp-mux"]
            lines.append("a=rtpmap:\(codec.rtpMap.attributeValue)")
            if section.type == .video {
                lines += ["a=rtcp-fb:\(codec.payloadType) nack", "a=rtcp-fb:\(codec.payloadType) nack pli"]
            }
            if let rtx { lines += ["a=rtpmap:\(rtx.rtpMap.attributeValue)", "a=fmtp:\(rtx.payloadType) apt=\(codec.payloadType)"] }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
