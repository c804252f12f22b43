import PeerClient
import RTP
import SDP
import STUN
import Testing

@testable import Relay

/// The room socket's subscribe connection: the relay offers every other member's tracks on one
/// connection and re-offers when they change; the client keeps its connection throughout.
@Suite struct SubscriptionTests {
    /// An answer to the relay's offer from `peer`'s credentials: receive-only, NACK for video.
    static func answer(_ offerText: String, from peer: PeerClient) throws -> String {
        let offer = try SessionDescription(parsing: offerText)
        var lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
            "a=group:BUNDLE \(offer.media.compactMap(\.mid).joined(separator: " "))"]
        for section in offer.media {
            let codec = try #require(section.codecs.first)
            lines += [
                "m=\(section.type.token) 9 UDP/TLS/RTP/SAVPF \(codec.payloadType)", "c=IN IP4 0.0.0.0",
                "a=ice-ufrag:\(peer.localUfrag)", "a=ice-pwd:\(peer.localPassword)",
                "a=fingerprint:\(peer.certificate.fingerprint.sdpValue)", "a=setup:active",
                "a=mid:\(section.mid ?? "")", offer.direction(of: section) == .inactive ? "a=inactive" : "a=recvonly",
                "a=rtcp-mux", "a=rtpmap:\(codec.rtpMap.attributeValue)",
            ]
            if section.type == .video { lines.append("a=rtcp-fb:\(codec.payloadType) nack") }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func slots(_ offer: SubscriptionOffer) throws -> [(mid: String, direction: MediaDirection, ssrc: UInt32?)] {
        let parsed = try SessionDescription(parsing: offer.sdp)
        return parsed.media.map { ($0.mid ?? "", parsed.direction(of: $0), $0.ssrcs.first) }
    }

    /// A host publishing audio and video, and a learner whose subscribe connection carries them.
    func subscribedRoom() throws -> (RelayHarness, host: (peer: PeerClient, participantID: String, address: TransportAddress),
        learner: (peer: PeerClient, participantID: String, address: TransportAddress), offer: SubscriptionOffer)
    {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let opened = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "learner", role: .participant), now: .now)
        let offer = try #require(opened.offer)
        let peer = try PeerClient()
        let answerText = try peer.answer(offer: offer.sdp)
        #expect(try harness.engine.answerSubscription(
            participantID: opened.participantID,
            answer: SubscriptionAnswer(parsing: answerText, maximumSections: 64), now: .now) == nil)
        let address = harness.add(peer)
        harness.pump()
        return (harness, host, (peer, opened.participantID, address), offer)
    }

    @Test func theRelayOffersEveryoneElsesTracksAndForwardsThem() throws {
        let (harness, host, learner, offer) = try subscribedRoom()
        #expect(offer.tracks.map(\.kind) == [.audio, .video])
        #expect(offer.tracks.allSatisfy { $0.userID == "mentor" })
        #expect(offer.tracks.map(\.source) == [.microphone, .camera])
        let sdp = try SessionDescription(parsing: offer.sdp)
        #expect(sdp.contains(.iceLite))
        #expect(sdp.media.allSatisfy { sdp.setup(of: $0) == .actpass && sdp.direction(of: $0) == .sendonly })
        try #require(host.peer.isConnected && learner.peer.isConnected)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 111, sequenceNumber: 7,
            timestamp: 960, payload: [1, 2, 3])
        let audio = try #require(harness.rtp(to: learner.address).last)
        #expect(audio.header.ssrc == (try Self.slots(offer)[0].ssrc))
    }

    @Test func aNewPublisherIsOfferedOnTheSameConnectionAndALeaverFreesItsSlots() throws {
        let (harness, _, learner, first) = try subscribedRoom()
        // Nothing changed: no offer.
        #expect(harness.engine.refreshSubscription(participantID: learner.participantID, now: .now) == nil)
        let second = try harness.join(user: "peer", intent: .publish, audio: .sendonly, video: .sendonly)
        let offer = try #require(harness.engine.refreshSubscription(participantID: learner.participantID, now: .now))
        let slots = try Self.slots(offer)
        #expect(slots.count == 4)
        // The first slots keep their mids and SSRCs: the client's existing transceivers carry on.
        #expect(Array(slots.prefix(2)).map(\.mid) == (try Self.slots(first)).map(\.mid))
        #expect(Array(slots.prefix(2)).map(\.ssrc) == (try Self.slots(first)).map(\.ssrc))
        #expect(Set(offer.tracks.map(\.userID)) == ["mentor", "peer"])
        // A change while that offer is unanswered waits for the answer.
        var output = CollectingOutput()
        try harness.engine.leave(participantID: second.participantID, now: .now, output: &output)
        #expect(harness.engine.refreshSubscription(participantID: learner.participantID, now: .now) == nil)
        let next = try #require(try harness.engine.answerSubscription(
            participantID: learner.participantID,
            answer: SubscriptionAnswer(parsing: Self.answer(offer.sdp, from: learner.peer), maximumSections: 64),
            now: .now))
        let after = try Self.slots(next)
        #expect(after.map(\.direction) == [.sendonly, .sendonly, .inactive, .inactive])
        #expect(next.tracks.map(\.userID) == ["mentor", "mentor"])
        _ = try harness.engine.answerSubscription(
            participantID: learner.participantID,
            answer: SubscriptionAnswer(parsing: Self.answer(next.sdp, from: learner.peer), maximumSections: 64), now: .now)
        // A third publisher reuses the inactive slots: the SDP does not grow.
        _ = try harness.join(user: "third", intent: .publish, audio: .sendonly, video: .sendonly)
        let reused = try #require(harness.engine.refreshSubscription(participantID: learner.participantID, now: .now))
        #expect(try Self.slots(reused).map(\.direction) == [.sendonly, .sendonly, .sendonly, .sendonly])
        #expect(reused.tracks.filter { $0.userID == "third" }.map(\.mid) == ["2", "3"])
        // The learner never reconnected.
        #expect(learner.peer.isConnected)
        #expect(harness.events.filter { if case .left(let who, _, _) = $0 { who.userID == "learner" } else { false } }.isEmpty)
    }

    @Test func aScreenShareAddedByRenegotiationReachesSubscribers() throws {
        let (harness, host, learner, _) = try subscribedRoom()
        let continuation = try #require(harness.continuations[host.participantID])
        let offer = harness.reoffer(host.peer, addingVideo: true)
        let prepared = try RelayEngine.prepare(
            .init(roomID: "room-1", userID: "mentor", role: .host, intent: .publish, offer: offer,
                sources: ["2": .screen]),
            configuration: harness.engine.configuration, fingerprint: harness.engine.certificate.fingerprint,
            continuing: continuation)
        let result = try harness.engine.renegotiate(participantID: host.participantID, with: prepared, now: .now)
        let answer = try SessionDescription(parsing: result.answer)
        #expect(answer.media.count == 3 && answer.media.allSatisfy { !$0.isRejected })
        #expect(answer.media.allSatisfy { answer.iceUfrag(of: $0) == continuation.ufrag })
        #expect(harness.engine.publishedSources(participantID: host.participantID) == [.microphone, .camera, .screen])
        let update = try #require(harness.engine.refreshSubscription(participantID: learner.participantID, now: .now))
        #expect(update.tracks.map(\.source) == [.microphone, .camera, .screen])
        #expect(host.peer.isConnected)
    }

    @Test func aSubscriptionWaitingForPublishersDoesNotTimeOut() throws {
        let harness = try RelayHarness { $0.connectTimeout = .seconds(2) }
        let opened = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "early", role: .participant), now: .now)
        #expect(opened.offer == nil)
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: .now + .seconds(10), output: &output)
        #expect(harness.engine.identity(participantID: opened.participantID) != nil)
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        let offer = try #require(harness.engine.refreshSubscription(participantID: opened.participantID, now: .now))
        #expect(offer.tracks.count == 1)
    }

    @Test func anAnswerMustMatchTheOffer() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let opened = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "l", role: .participant), now: .now)
        let offer = try #require(opened.offer)
        let peer = try PeerClient()
        let good = try Self.answer(offer.sdp, from: peer)
        let passive = good.replacingOccurrences(of: "a=setup:active", with: "a=setup:passive")
        #expect(throws: RelayError.self) { try SubscriptionAnswer(parsing: passive, maximumSections: 64) }
        let fewer = try SubscriptionAnswer(parsing: Self.answer(
            offer.sdp.components(separatedBy: "m=video")[0], from: peer), maximumSections: 64)
        #expect(throws: RelayError.self) {
            try harness.engine.answerSubscription(participantID: opened.participantID, answer: fewer, now: .now)
        }
        #expect(throws: RelayError.self) { try SubscriptionAnswer(parsing: good, maximumSections: 1) }
    }
}
