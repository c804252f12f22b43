import DTLS
import PeerClient
import RTCP
import Testing

@testable import Relay

/// A peer's OpenSSL association is freed at its first authenticated SRTP or SRTCP (memory per learner), and
/// what DTLS still does after that, reading the peer's close_notify, keeps working.
@Suite struct DTLSRetirementTests {
    static func association(_ harness: RelayHarness, _ participantID: String) -> DTLSConnection? {
        harness.engine.router.participant(id: participantID)?.transport.dtls
    }

    static func closedByPeer(_ harness: RelayHarness) -> [String] {
        harness.events.compactMap {
            if case .left(let identity, _, .closedByPeer) = $0 { identity.participantID } else { nil }
        }
    }

    @Test func aPeersFirstMediaRetiresItsAssociationAndItsCloseNotifyStillEndsIt() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        #expect(host.peer.isConnected && viewer.peer.isConnected)
        #expect(Self.association(harness, host.participantID)?.isRetired == false, "connected, nothing received yet")

        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1), marker: true)
        #expect(Self.association(harness, host.participantID)?.isRetired == true)
        #expect(Self.association(harness, viewer.participantID)?.isRetired == false)
        let report = try ReceiverReport.build(
            ssrc: 7, reportBlocks: [ReportBlock(ssrc: try #require(viewer.peer.remoteSSRCs["video"]), fractionLost: 0)])
        harness.deliverToRelay(try viewer.peer.protectRTCP(report), from: viewer.address)
        #expect(Self.association(harness, viewer.participantID)?.isRetired == true)

        // Media still flows both ways on the kept SRTP keys.
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 2,
            timestamp: 3_000, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 2), marker: true)
        #expect(harness.rtp(to: viewer.address).count >= 1)

        // The learner closes its peer connection: the relay reads the close_notify with the kept record keys.
        viewer.peer.close()
        harness.pump()
        #expect(Self.closedByPeer(harness) == [viewer.participantID])
        #expect(harness.engine.router.participant(id: viewer.participantID) == nil)
        // The relay ends the publisher's connection: its close_notify, written with the kept keys, is read by
        // the publisher's OpenSSL.
        var output = CollectingOutput()
        try harness.engine.leave(participantID: host.participantID, now: .now, output: &output)
        #expect(host.peer.isConnected)
        harness.deliverAll(output)
        #expect(!host.peer.isConnected)
    }

    @Test func turnedOffTheAssociationIsKept() throws {
        let harness = try RelayHarness { $0.retiresDTLS = false }
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, video: .sendonly)
        harness.pump()
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1), marker: true)
        #expect(Self.association(harness, host.participantID)?.isRetired == false)
        host.peer.close()
        harness.pump()
        #expect(Self.closedByPeer(harness) == [host.participantID])
    }
}
