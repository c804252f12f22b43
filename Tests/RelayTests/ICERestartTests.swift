import ICE
import PeerClient
import RTP
import STUN
import Testing

@testable import Relay

/// A peer that changes networks restarts ICE and keeps its connection: its DTLS, SRTP and place in the
/// room carry on over the new address.
@Suite struct ICERestartTests {
    /// A nominating check with the given credentials, as a browser on its new network sends it.
    static func check(relayUfrag: String, peerUfrag: String, password: String) -> [UInt8] {
        ICEConnectivityCheck.makeBindingRequest(
            username: "\(relayUfrag):\(peerUfrag)", password: password, priority: 1_000, useCandidate: true,
            tieBreaker: 42)
    }

    @Test func aViewerThatRestartsICEGetsMediaAtItsNewAddress() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly)
        harness.pump()
        try #require(viewer.peer.isConnected)
        let old = try #require(harness.continuations[viewer.participantID])
        // The same ufrag again is not a restart.
        #expect(try harness.engine.restartICE(participantID: viewer.participantID, remoteUfrag: viewer.peer.localUfrag, now: .now) == nil)
        let fresh = try #require(
            try harness.engine.restartICE(participantID: viewer.participantID, remoteUfrag: "newfrag", now: .now))
        #expect(fresh.ufrag != old.ufrag)
        #expect(fresh.candidates.first?.address == "127.0.0.1")
        // Checks with the old credentials no longer pass; the new ones do, from the new network.
        let moved = TransportAddress(ipv4: 10, 1, 1, 7, port: 61_000)
        var output = CollectingOutput()
        var stale = Self.check(relayUfrag: old.ufrag, peerUfrag: viewer.peer.localUfrag, password: old.password)
        stale.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: moved, now: .now, output: &output) }
        #expect(output.datagrams.isEmpty)
        var check = Self.check(relayUfrag: fresh.ufrag, peerUfrag: "newfrag", password: fresh.password)
        check.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: moved, now: .now, output: &output) }
        #expect(output.datagrams.count == 1 && output.datagrams[0].destination == moved)
        // Media follows; the viewer never left (no `left` event), and the publisher is untouched.
        var media = try host.peer.protectRTP(
            try RTPPacketBuilderShim.audio(ssrc: host.peer.audioSSRC, sequence: 1))
        output = CollectingOutput()
        media.withUnsafeMutableBytes { harness.engine.handleDatagram($0, from: host.address, now: .now, output: &output) }
        #expect(output.datagrams.contains { $0.destination == moved })
        #expect(!harness.events.contains { if case .left = $0 { true } else { false } })
    }

    @Test func aSubscribeConnectionRestartsWithANewOfferOnTheSameConnection() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let opened = try harness.engine.openSubscription(.init(roomID: "room-1", userID: "l", role: .participant), now: .now)
        let first = try #require(opened.offer)
        let peer = try PeerClient()
        _ = try harness.engine.answerSubscription(
            participantID: opened.participantID,
            answer: SubscriptionAnswer(parsing: try peer.answer(offer: first.sdp), maximumSections: 64), now: .now)
        let restart = try #require(try harness.engine.restartSubscriptionICE(participantID: opened.participantID, now: .now))
        #expect(restart.tracks == first.tracks)
        #expect(!restart.sdp.contains(try #require(first.sdp.firstLine(prefix: "a=ice-ufrag:"))))
        // Another restart before the answer is refused.
        #expect(throws: RelayError.self) {
            try harness.engine.restartSubscriptionICE(participantID: opened.participantID, now: .now)
        }
        let answer = try SubscriptionTests.answer(restart.sdp, from: peer)
            .replacingOccurrences(of: "a=ice-ufrag:\(peer.localUfrag)", with: "a=ice-ufrag:moved1")
        #expect(try harness.engine.answerSubscription(
            participantID: opened.participantID, answer: SubscriptionAnswer(parsing: answer, maximumSections: 64),
            now: .now) == nil)
        let participant = try #require(harness.engine.router.participant(id: opened.participantID))
        #expect(participant.transport.ice.configuration.remoteUfrag == "moved1")
    }
}

enum RTPPacketBuilderShim {
    static func audio(ssrc: UInt32, sequence: UInt16) throws -> [UInt8] {
        try RTPHeaderBuilder(payloadType: 111, sequenceNumber: sequence, timestamp: 960, ssrc: ssrc).packet(payload: [1, 2, 3])
    }
}

extension String {
    func firstLine(prefix: String) -> String? {
        split(whereSeparator: \.isNewline).first { $0.hasPrefix(prefix) }.map(String.init)
    }
}
