import Foundation
import PeerClient
import SDP
import Testing

@testable import Relay

/// The relay's answers as other stacks read them.
@Suite struct AnswerTests {
    @Test func everyAcceptedSectionCarriesTheCandidates() throws {
        let harness = try RelayHarness()
        let peer = try PeerClient()
        let result = try harness.engine.join(
            .init(roomID: "r", userID: "u", role: .host, intent: .publish,
                offer: peer.makeOffer(audio: .sendonly, video: .sendonly)), now: .now)
        let answer = try SessionDescription(parsing: result.answer)
        #expect(answer.media.count == 2)
        for section in answer.media {
            #expect(section.candidates.map(\.port) == [40_000], "m=\(section.type) has the relay's host candidate")
            #expect(section.attributes.contains { $0.name == "end-of-candidates" })
        }
    }
}

extension AnswerTests {
    /// GStreamer's webrtcbin (1.22) offers every m-section after the first with port 0 and
    /// `a=bundle-only` (RFC 8843 §6). Those are part of the bundle, not rejected.
    static func bundleOnly(_ offer: String) -> String {
        var sections = offer.components(separatedBy: "m=")
        for index in sections.indices.dropFirst(2) {
            sections[index] = sections[index].replacingOccurrences(of: " 9 UDP/TLS", with: " 0 UDP/TLS")
                .replacingOccurrences(of: "a=mid:", with: "a=bundle-only\r\na=mid:")
        }
        return sections.joined(separator: "m=")
    }

    @Test func bundleOnlySectionsAreAcceptedAndTheirMediaFlows() throws {
        let harness = try RelayHarness()
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly,
            editOffer: Self.bundleOnly)
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly,
            editOffer: Self.bundleOnly)
        let participant = try #require(harness.engine.router.participant(id: host.participantID))
        #expect(participant.producers.map(\.media.kind) == [.audio, .video])
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1))
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 111, sequenceNumber: 1,
            timestamp: 0, payload: [1, 2, 3])
        #expect(Set(harness.rtp(to: viewer.address).map(\.header.payloadType)) == [96, 111])
    }

    @Test func theAnswerToABundleOnlyOfferHasFingerprintsEverywhere() throws {
        let harness = try RelayHarness()
        let offer = Self.bundleOnly(try PeerClient().makeOffer(audio: .sendonly, video: .sendonly))
        #expect(offer.contains("m=video 0 UDP/TLS/RTP/SAVPF"))
        let result = try harness.engine.join(
            .init(roomID: "r", userID: "u", role: .host, intent: .publish, offer: offer), now: .now)
        let answer = try SessionDescription(parsing: result.answer)
        for section in answer.media {
            #expect(!section.isRejected)
            #expect(!section.fingerprints.isEmpty, "webrtcbin refuses an answer without a fingerprint per section")
        }
    }
}
