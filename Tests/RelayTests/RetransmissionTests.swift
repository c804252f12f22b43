import PeerClient
import RTCP
import RTP
import STUN
import Testing

@testable import Relay

/// Loss repaired where it happens: the relay NACKs a publisher for its uplink's gaps (and takes the
/// repair as RFC 4588 RTX), and resends to a subscriber on its own RTX stream.
@Suite struct RetransmissionTests {
    typealias Peer = (peer: PeerClient, participantID: String, address: TransportAddress)

    func room(publisherRTX: Bool, viewerRTX: Bool) throws -> (RelayHarness, host: Peer, viewer: Peer) {
        let harness = try RelayHarness()
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly, rtx: publisherRTX)
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly, rtx: viewerRTX)
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        return (harness, host, viewer)
    }

    func sendVideo(_ harness: RelayHarness, _ host: Peer, sequenceNumbers: [UInt16]) throws {
        for sequence in sequenceNumbers {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: sequence, timestamp: UInt32(sequence) * 3_000,
                payload: RelayHarness.vp8Payload(keyframe: sequence == 100, pictureID: sequence))
        }
    }

    func nacks(to peer: Peer, in harness: RelayHarness) throws -> [UInt16] {
        var lost: [UInt16] = []
        for packet in harness.rtcp(to: peer.address) {
            let compound = try packet.withUnsafeBytes { try RTCPCompoundPacket(validating: $0) }
            for item in compound {
                if case .genericNack(let nack) = item.view {
                    #expect(nack.mediaSSRC == peer.peer.videoSSRC)
                    for pair in nack.pairs { lost += Array(pair.lostSequenceNumbers) }
                }
            }
        }
        return lost
    }

    @Test func theRelayNacksAnUplinkGapAndForwardsTheRTXRepair() throws {
        let (harness, host, viewer) = try room(publisherRTX: true, viewerRTX: false)
        let producer = try #require(harness.engine.router.participant(id: host.participantID)?.producers.last)
        #expect(producer.media.rtxSSRC == host.peer.videoRTXSSRC && producer.media.rtxPayloadType == 97)
        try sendVideo(harness, host, sequenceNumbers: [100, 101, 103, 104])
        #expect(harness.rtp(to: viewer.address).count == 4)
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: .now + .milliseconds(50), output: &output)
        harness.deliverAll(output)
        #expect(try nacks(to: host, in: harness) == [102])
        #expect(harness.engine.counters.nacksSent == 1)
        // The publisher repairs on its RTX stream.
        let original = try RTPHeaderBuilder(
            payloadType: 96, sequenceNumber: 102, timestamp: 306_000, ssrc: host.peer.videoSSRC
        ).packet(payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 102))
        var rtx = [UInt8](repeating: 0, count: original.count + 2)
        let length = try original.withUnsafeBytes { source in
            try rtx.withUnsafeMutableBytes { try RetransmissionPacket.wrap(
                source, payloadType: 97, ssrc: host.peer.videoRTXSSRC, sequenceNumber: 9, into: $0) }
        }
        harness.deliverToRelay(try host.peer.protectRTP(Array(rtx[0..<length])), from: host.address)
        let forwarded = harness.rtp(to: viewer.address)
        #expect(forwarded.count == 5)
        #expect(forwarded.last.map { Array($0.packet[$0.header.payloadRange]) }
            == RelayHarness.vp8Payload(keyframe: false, pictureID: 102))
        #expect(forwarded.last?.header.ssrc == forwarded.first?.header.ssrc)
        #expect(harness.engine.counters.repairsReceived == 1)
        // Repaired: no NACK for it again.
        harness.engine.handleTimeout(now: .now + .milliseconds(400), output: &output)
        #expect(harness.engine.counters.nacksSent == 1)
    }

    @Test func anUnrepairedGapIsAskedForAgainThenGivenUp() throws {
        let (harness, host, _) = try room(publisherRTX: true, viewerRTX: false)
        try sendVideo(harness, host, sequenceNumbers: [100, 101, 103])
        var output = CollectingOutput()
        for step in 1...40 {
            harness.engine.handleTimeout(now: .now + .milliseconds(150 * step), output: &output)
        }
        let sent = harness.engine.counters.nacksSent
        #expect(sent >= 2 && sent <= 11)
    }

    @Test func aSubscriberThatNegotiatedRTXGetsItsRepairOnTheRTXStream() throws {
        let (harness, host, viewer) = try room(publisherRTX: false, viewerRTX: true)
        let rtxSSRC = try #require(viewer.peer.remoteRTXSSRC)
        #expect(viewer.peer.remoteRTXPayloadType == 97)
        var toViewer = 0
        harness.lose = { destination, bytes in
            guard destination == viewer.address, bytes.count > 200 else { return false }
            toViewer += 1
            return toViewer == 2
        }
        try sendVideo(harness, host, sequenceNumbers: [100, 101, 102])
        let forwarded = harness.rtp(to: viewer.address)
        try #require(forwarded.count == 2)
        let lost = forwarded[0].header.sequenceNumber &+ 1
        let nack = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]), lostSequenceNumbers: [lost])
        harness.deliverToRelay(try viewer.peer.protectRTCP(nack), from: viewer.address)
        let repair = try #require(harness.rtp(to: viewer.address).last)
        #expect(repair.header.ssrc == rtxSSRC && repair.header.payloadType == 97)
        let payload = Array(repair.packet[repair.header.payloadRange])
        #expect(UInt16(payload[0]) << 8 | UInt16(payload[1]) == lost)
        #expect(Array(payload.dropFirst(2)) == RelayHarness.vp8Payload(keyframe: false, pictureID: 101))
    }
}
