import PeerClient
import RTCP
import RTP
import Relay
import STUN
import Testing

@Suite struct RelayForwardingTests {
    /// A host publishing and a learner watching, both connected through ICE and DTLS.
    func connectedPair() throws -> (RelayHarness, host: (peer: PeerClient, participantID: String, address: TransportAddress),
        viewer: (peer: PeerClient, participantID: String, address: TransportAddress))
    {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        return (harness, host, viewer)
    }

    @Test func publisherAndSubscriberConnectAndJoin() throws {
        let (harness, host, viewer) = try connectedPair()
        #expect(host.peer.isConnected)
        #expect(viewer.peer.isConnected)
        let joined = harness.events.compactMap { if case .joined(let who) = $0 { return who.userID } else { return nil } }
        #expect(Set(joined) == ["mentor", "learner"])
    }

    @Test func forwardsVideoFromKeyframeWithRewrittenHeaders() throws {
        let (harness, host, viewer) = try connectedPair()
        let videoSSRC = try #require(viewer.peer.remoteSSRCs["video"])
        // An interframe first: the viewer cannot decode it, so the relay holds the leg until a keyframe.
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1000,
            timestamp: 90_000, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 1))
        #expect(harness.rtp(to: viewer.address).isEmpty)
        let keyframe = RelayHarness.vp8Payload(keyframe: true, pictureID: 2)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1001,
            timestamp: 93_000, payload: keyframe, marker: true)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1002,
            timestamp: 96_000, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 3))
        let forwarded = harness.rtp(to: viewer.address)
        try #require(forwarded.count == 2)
        #expect(forwarded.allSatisfy { $0.header.ssrc == videoSSRC })
        #expect(forwarded[1].header.sequenceNumber == forwarded[0].header.sequenceNumber &+ 1)
        #expect(forwarded[1].header.timestamp == forwarded[0].header.timestamp &+ 3_000)
        #expect(Array(forwarded[0].packet[forwarded[0].header.payloadRange]) == keyframe)
        #expect(forwarded[0].header.marker)
        #expect(harness.engine.counters.rtpForwarded == 2)
    }

    @Test func forwardsAudioImmediately() throws {
        let (harness, host, viewer) = try connectedPair()
        let opus: [UInt8] = [0xFC] + Array(repeating: 0x42, count: 80)
        for i in 0..<5 {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 111,
                sequenceNumber: UInt16(7 + i), timestamp: UInt32(960 * i), payload: opus)
        }
        let forwarded = harness.rtp(to: viewer.address)
        #expect(forwarded.count == 5)
        #expect(forwarded.allSatisfy { $0.header.ssrc == viewer.peer.remoteSSRCs["audio"] && $0.header.payloadType == 111 })
        #expect(forwarded.allSatisfy { Array($0.packet[$0.header.payloadRange]) == opus })
    }

    @Test func subscriberJoinRequestsKeyframeFromPublisher() throws {
        let (harness, host, _) = try connectedPair()
        // Media must have flowed once so the relay knows the publisher's video SSRC is live.
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 1))
        let late = try harness.join(user: "late", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        #expect(late.peer.isConnected)
        let plis = harness.rtcp(to: host.address).flatMap { packet in
            packet.withUnsafeBytes { bytes -> [UInt32] in
                guard let compound = try? RTCPCompoundPacket(validating: bytes) else { return [] }
                return compound.compactMap {
                    if case .pictureLossIndication(let pli) = $0.view { return pli.mediaSSRC }
                    return nil
                }
            }
        }
        #expect(plis.contains(host.peer.videoSSRC))
        #expect(harness.engine.counters.keyframeRequests >= 1)
    }

    /// A keyframe that comes while a learner is still connecting cannot reach it, so it is not where the
    /// learner's video starts: the leg waits for the next keyframe instead of starting on frames it cannot
    /// decode (Chromium then asks for a keyframe itself, and waited ~600 ms for a picture).
    @Test func aKeyframeBeforeTheLearnerConnectsIsNotWhereItsVideoStarts() throws {
        let (harness, host, viewer) = try connectedPair()
        let late = try harness.join(user: "late", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 10,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1), marker: true)
        harness.pump()
        #expect(late.peer.isConnected)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 11,
            timestamp: 3_000, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 2), marker: true)
        let lateVideo = try #require(late.peer.remoteSSRCs["video"])
        #expect(harness.rtp(to: late.address).filter { $0.header.ssrc == lateVideo }.isEmpty)
        let keyframe = RelayHarness.vp8Payload(keyframe: true, pictureID: 3)
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 12,
            timestamp: 6_000, payload: keyframe, marker: true)
        let video = harness.rtp(to: late.address).filter { $0.header.ssrc == lateVideo }
        try #require(video.count == 1)
        #expect(Array(video[0].packet[video[0].header.payloadRange]) == keyframe)
        // The learner that was already connected got all three.
        let viewerVideo = try #require(viewer.peer.remoteSSRCs["video"])
        #expect(harness.rtp(to: viewer.address).filter { $0.header.ssrc == viewerVideo }.count == 3)
    }

    @Test func subscriberPLIIsRelayedToPublisher() async throws {
        let (harness, host, viewer) = try connectedPair()
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1))
        let before = harness.engine.counters.keyframeRequests
        try await Task.sleep(for: .milliseconds(600))  // past the keyframe request interval
        let videoSSRC = try #require(viewer.peer.remoteSSRCs["video"])
        let pli = PictureLossIndication(senderSSRC: 1, mediaSSRC: videoSSRC).build()
        harness.deliverToRelay(try viewer.peer.protectRTCP(pli), from: viewer.address)
        #expect(harness.engine.counters.keyframeRequests == before + 1)
    }

    /// Sends `count` video packets from the host (`perFrame` to a frame), the viewer's leg losing the
    /// third, then the viewer's NACK for it. Returns what reached the viewer before and after the NACK and
    /// the lost packet's number on the viewer's side.
    private func nackTheThirdOf(_ count: Int, perFrame: Int) throws
        -> (harness: RelayHarness, before: [(header: RTPHeader, packet: [UInt8])],
            after: [(header: RTPHeader, packet: [UInt8])], lost: UInt16)
    {
        let (harness, host, viewer) = try connectedPair()
        var rtpToViewer = 0
        harness.lose = { destination, bytes in
            guard destination == viewer.address, bytes.count > 200 else { return false }
            rtpToViewer += 1
            return rtpToViewer == 3
        }
        for i in 0..<count {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: UInt16(500 + i), timestamp: UInt32(3_000 * (i / perFrame)),
                payload: RelayHarness.vp8Payload(keyframe: i == 0, pictureID: UInt16(i / perFrame)))
        }
        let before = harness.rtp(to: viewer.address)
        try #require(before.count == count - 1)
        let lost = before[1].header.sequenceNumber &+ 1
        let nack = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]), lostSequenceNumbers: [lost])
        harness.deliverToRelay(try viewer.peer.protectRTCP(nack), from: viewer.address)
        return (harness, before, harness.rtp(to: viewer.address), lost)
    }

    /// A viewer joining after the track's history grew starts with NACK state as long as it: a packet
    /// lost 200 packets ago (past the first 128) is still resent, with no further growth to trigger it.
    @Test func aLateViewersNackStateIsAsLongAsTheGrownHistory() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        harness.pump()
        func send(_ range: Range<Int>) throws {
            for i in range {
                try harness.send(
                    from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                    sequenceNumber: UInt16(500 + i), timestamp: UInt32(3_000 * (i / 6)),
                    payload: RelayHarness.vp8Payload(keyframe: i % 300 == 0, pictureID: UInt16(i / 6)))
            }
        }
        try send(0..<300)  // the history grows to 512
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        var rtpToViewer = 0
        harness.lose = { destination, bytes in
            guard destination == viewer.address, bytes.count > 200 else { return false }
            rtpToViewer += 1
            return rtpToViewer == 3
        }
        try send(300..<500)  // fits the grown history: no growth now
        let before = harness.rtp(to: viewer.address)
        try #require(before.count == 199)
        let lost = before[1].header.sequenceNumber &+ 1
        let nack = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]), lostSequenceNumbers: [lost])
        harness.deliverToRelay(try viewer.peer.protectRTCP(nack), from: viewer.address)
        #expect(harness.rtp(to: viewer.address).last?.header.sequenceNumber == lost)
        #expect(harness.engine.counters.retransmissions == 1)
    }

    @Test func answersNackFromRetransmissionBuffer() throws {
        let (harness, before, after, lost) = try nackTheThirdOf(4, perFrame: 1)
        #expect(before[2].header.sequenceNumber == lost &+ 1)
        #expect(after.count == 4)
        #expect(after.last?.header.sequenceNumber == lost)
        #expect(after.last.map { Array($0.packet[$0.header.payloadRange]) }
            == RelayHarness.vp8Payload(keyframe: false, pictureID: 2))
        #expect(harness.engine.counters.retransmissions == 1)
    }

    /// A 400-packet/s track: its history and the viewer's NACK state grow past their first 128 packets,
    /// so a packet lost 300 packets ago (under a second) is still resent.
    @Test func answersANackForAPacketMoreThanTheFirstRingAgo() throws {
        let (harness, _, after, lost) = try nackTheThirdOf(300, perFrame: 6)
        #expect(after.count == 300)
        #expect(after.last?.header.sequenceNumber == lost)
        #expect(harness.engine.counters.retransmissions == 1)
    }
}
