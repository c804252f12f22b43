import PeerClient
import RTCP
import RTP
import STUN
import Testing

@testable import Relay

/// Padding-only RTP (the bandwidth probes a browser sends once it gets transport feedback) is counted
/// and never forwarded; the subscriber's numbering stays gap-free and its NACKs still find the packet
/// they name.
@Suite struct PaddingTests {
    typealias Peer = (peer: PeerClient, participantID: String, address: TransportAddress)

    func room() throws -> (RelayHarness, host: Peer, viewer: Peer) {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, video: .sendonly, rtx: true)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), video: .recvonly)
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        return (harness, host, viewer)
    }

    func sendMedia(_ harness: RelayHarness, _ host: Peer, _ sequence: UInt16) throws {
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: sequence,
            timestamp: UInt32(sequence) &* 3_000,
            payload: RelayHarness.vp8Payload(keyframe: sequence == 100, pictureID: sequence))
    }

    /// P bit, no payload, 255 bytes of padding: what libwebrtc probes with on the media SSRC.
    func sendPadding(_ harness: RelayHarness, _ host: Peer, _ sequence: UInt16) throws {
        let packet = try RTPHeaderBuilder(
            payloadType: 96, sequenceNumber: sequence, timestamp: 0, ssrc: host.peer.videoSSRC
        ).packet(payload: [], paddingLength: 255)
        harness.deliverToRelay(try host.peer.protectRTP(packet), from: host.address)
    }

    /// On the RTX SSRC: an OSN and nothing else but padding, or no payload at all.
    func sendRTXPadding(_ harness: RelayHarness, _ host: Peer, _ sequence: UInt16, withOSN: Bool) throws {
        let packet = try RTPHeaderBuilder(
            payloadType: PeerClient.rtxPayloadType, sequenceNumber: sequence, timestamp: 0, ssrc: host.peer.videoRTXSSRC
        ).packet(payload: withOSN ? [0x00, 0x65] : [], paddingLength: 200)
        harness.deliverToRelay(try host.peer.protectRTP(packet), from: host.address)
    }

    @Test func paddingIsNotForwardedAndTheNumberingStaysGapFree() throws {
        let (harness, host, viewer) = try room()
        try sendMedia(harness, host, 100)
        try sendMedia(harness, host, 101)
        try sendPadding(harness, host, 102)
        try sendRTXPadding(harness, host, 1, withOSN: false)
        try sendRTXPadding(harness, host, 2, withOSN: true)
        try sendMedia(harness, host, 103)
        try sendPadding(harness, host, 104)
        try sendPadding(harness, host, 105)
        try sendMedia(harness, host, 106)
        let forwarded = harness.rtp(to: viewer.address)
        #expect(forwarded.count == 4)
        #expect(forwarded.allSatisfy { !$0.header.payloadRange.isEmpty && !$0.header.hasPadding })
        let first = try #require(forwarded.first?.header.sequenceNumber)
        #expect(forwarded.map(\.header.sequenceNumber) == [first, first &+ 1, first &+ 2, first &+ 3])
        #expect(forwarded.map { Array($0.packet[$0.header.payloadRange]) }
            == [100, 101, 103, 106].map { RelayHarness.vp8Payload(keyframe: $0 == 100, pictureID: $0) })
        let producer = try #require(harness.engine.router.participant(id: host.participantID)?.producers.first)
        #expect(producer.paddingPackets == 5)
        // The probes' sequence numbers are not a gap to NACK the publisher for.
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: .now + .milliseconds(50), output: &output)
        #expect(harness.engine.counters.nacksSent == 0)
    }

    @Test func aNackAfterSkippedPaddingResendsTheRightPacket() throws {
        let (harness, host, viewer) = try room()
        var videoPackets = 0
        harness.lose = { destination, bytes in
            guard destination == viewer.address, bytes.count > 200 else { return false }
            videoPackets += 1
            return videoPackets == 3  // source 104, the packet after the skipped probes
        }
        try sendMedia(harness, host, 100)
        try sendMedia(harness, host, 101)
        try sendPadding(harness, host, 102)
        try sendPadding(harness, host, 103)
        try sendMedia(harness, host, 104)
        try sendMedia(harness, host, 105)
        let forwarded = harness.rtp(to: viewer.address)
        try #require(forwarded.count == 3)
        let lost = forwarded[1].header.sequenceNumber &+ 1
        #expect(forwarded[2].header.sequenceNumber == lost &+ 1)
        let nack = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]), lostSequenceNumbers: [lost])
        harness.deliverToRelay(try viewer.peer.protectRTCP(nack), from: viewer.address)
        let after = harness.rtp(to: viewer.address)
        try #require(after.count == 4)
        #expect(after[3].header.sequenceNumber == lost)
        #expect(Array(after[3].packet[after[3].header.payloadRange])
            == RelayHarness.vp8Payload(keyframe: false, pictureID: 104))
    }

    @Test func aLateRepairBeforeAProbeTakesTheNumberItWasOwed() throws {
        let (harness, host, viewer) = try room()
        try sendMedia(harness, host, 100)
        try sendPadding(harness, host, 101)
        // 102 is lost on the uplink; 103 is a probe; 104 arrives; then the RTX repair of 102.
        try sendPadding(harness, host, 103)
        try sendMedia(harness, host, 104)
        let original = try RTPHeaderBuilder(
            payloadType: 96, sequenceNumber: 102, timestamp: 306_000, ssrc: host.peer.videoSSRC
        ).packet(payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 102))
        var rtx = [UInt8](repeating: 0, count: original.count + 2)
        let length = try original.withUnsafeBytes { source in
            try rtx.withUnsafeMutableBytes {
                try RetransmissionPacket.wrap(
                    source, payloadType: PeerClient.rtxPayloadType, ssrc: host.peer.videoRTXSSRC, sequenceNumber: 7, into: $0)
            }
        }
        harness.deliverToRelay(try host.peer.protectRTP(Array(rtx[0..<length])), from: host.address)
        let forwarded = harness.rtp(to: viewer.address)
        try #require(forwarded.count == 3)
        let first = forwarded[0].header.sequenceNumber
        // 100 → n, (101 skipped) 102 → n+1, (103 skipped) 104 → n+2: the repair fills n+1.
        #expect(forwarded[1].header.sequenceNumber == first &+ 2)
        #expect(forwarded[2].header.sequenceNumber == first &+ 1)
        #expect(Array(forwarded[2].packet[forwarded[2].header.payloadRange])
            == RelayHarness.vp8Payload(keyframe: false, pictureID: 102))
    }
}

/// The consumer's numbering over skipped source packets, on its own.
@Suite struct OutgoingSequenceTests {
    @Test func skipsCloseTheGapAndLatePacketsTakeTheirOwedNumber() {
        var sequence = OutgoingSequence()
        sequence.restart(source: 65_530, next: 10)
        #expect(sequence.map(65_530) == 10)
        sequence.skip(65_531)
        #expect(sequence.map(65_533) == 12)  // 65,532 lost: owed 11
        sequence.skip(65_534)
        sequence.skip(65_535)
        #expect(sequence.map(0) == 13)  // across the wrap
        #expect(sequence.map(65_532) == 11)
        #expect(sequence.map(65_534) == nil)  // a skipped one never gets a number
        #expect(sequence.map(65_529) == nil)  // before the restart
    }

    @Test func aLatePacketOlderThanTheSkipHistoryIsDropped() {
        var sequence = OutgoingSequence()
        sequence.restart(source: 0, next: 0)
        #expect(sequence.map(0) == 0)
        // 1 is lost; then more skips than the ring holds.
        for source in 2...UInt16(OutgoingSequence.skipCapacity + 2) { sequence.skip(source) }
        #expect(sequence.map(1) == nil)
        #expect(sequence.map(UInt16(OutgoingSequence.skipCapacity + 3)) == 2)
    }

    @Test func theSentIndexRemembersLayerAndPictureDeltas() {
        let index = SentPacketIndex(capacity: 512)
        index.record(sent: 700, source: 9, layer: 2, pictureIDDelta: 0x7FFF, tl0Delta: 200)
        #expect(index.lookup(sent: 700) == .init(layer: 2, source: 9, pictureIDDelta: 0x7FFF, tl0Delta: 200))
        #expect(index.lookup(sent: 700 &+ 512) == nil)
        #expect(index.lookup(sent: 701) == nil)
    }
}
