import PeerClient
import RTCP
import Relay
import STUN
import Testing

/// Per-leg and per-room quality from the subscribers' own receiver reports (`RelayEngine.reportedLoss`), and
/// each join's phases for traces (`JoinTimeline`), handed out at its first media or at its end without any.
@Suite struct ReportedLossTests {
    @Test func eachLegCountsItsWorstTrackAndEachRoomItsWorstLeg() throws {
        let harness = try RelayHarness()
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let good = try harness.join(user: "good", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        let bad = try harness.join(user: "bad", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        let silent = try harness.join(user: "silent", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        _ = try harness.join(
            user: "other", role: .host, intent: .publish, audio: .sendonly, video: .sendonly, room: "room-2")
        let calm = try harness.join(
            user: "calm", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly, room: "room-2")
        harness.pump()
        #expect(harness.engine.reportedLoss.legs.counts.reduce(0, +) == 0, "no report yet: no leg counted")

        func report(_ viewer: (peer: PeerClient, participantID: String, address: TransportAddress), video: UInt8, audio: UInt8) throws {
            let blocks = [
                ReportBlock(ssrc: try #require(viewer.peer.remoteSSRCs["video"]), fractionLost: video),
                ReportBlock(ssrc: try #require(viewer.peer.remoteSSRCs["audio"]), fractionLost: audio),
            ]
            harness.deliverToRelay(try viewer.peer.protectRTCP(try ReceiverReport.build(ssrc: 7, reportBlocks: blocks)), from: viewer.address)
        }
        try report(good, video: 0, audio: 0)
        try report(bad, video: 3, audio: 40)  // 1.2% and 15.6%: the leg is as bad as its worst track
        try report(calm, video: 2, audio: 1)  // 0.8%
        _ = silent

        let (legs, worst) = harness.engine.reportedLoss
        // Bounds 0, 1%, 2%, 5%, 10%, 20%, 50%, +Inf.
        #expect(legs.counts == [1, 1, 0, 0, 0, 1, 0, 0])
        #expect(worst == ["room-1": 40, "room-2": 2])
        var rooms = LossDistribution()
        for loss in worst.values { rooms.add(fractionLost: loss) }
        #expect(rooms.counts == [0, 1, 0, 0, 0, 1, 0, 0])

        // A later report replaces the leg's figure.
        try report(bad, video: 0, audio: 0)
        #expect(harness.engine.reportedLoss.worstByRoom["room-1"] == 0)
    }

    @Test func aJoinIsHandedOutOnceWithItsPhasesInOrder() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        #expect(harness.engine.pollJoinTimeline() == nil, "connected, but no media yet")
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 1,
            timestamp: 0, payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1), marker: true)
        var timelines: [JoinTimeline] = []
        while let timeline = harness.engine.pollJoinTimeline() { timelines.append(timeline) }
        #expect(Set(timelines.map(\.identity.participantID)) == [host.participantID, viewer.participantID])
        for timeline in timelines {
            let nominated = try #require(timeline.iceChecked)
            let connected = try #require(timeline.connected)
            let firstMedia = try #require(timeline.firstMedia)
            #expect(timeline.joined <= nominated && nominated <= firstMedia)
            #expect(timeline.joined <= connected && connected <= firstMedia)
        }
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96, sequenceNumber: 2,
            timestamp: 3_000, payload: RelayHarness.vp8Payload(keyframe: false, pictureID: 2), marker: true)
        #expect(harness.engine.pollJoinTimeline() == nil, "once per participant")

        // A join that ends before any media is handed out when it ends, with why and no first media.
        let leaver = try harness.join(user: "leaver", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        var output = CollectingOutput()
        try harness.engine.leave(participantID: leaver.participantID, now: .now, output: &output)
        let ended = try #require(harness.engine.pollJoinTimeline())
        #expect(ended.identity.participantID == leaver.participantID)
        #expect(ended.firstMedia == nil && ended.connected == nil && ended.endReason == .requested)
        #expect(try #require(ended.endedAt) >= ended.joined)
        #expect(timelines.allSatisfy { $0.endReason == nil && $0.endedAt == nil })
        // Leaving after media adds nothing: that join was handed out at its first packet.
        try harness.engine.leave(participantID: viewer.participantID, now: .now, output: &output)
        #expect(harness.engine.pollJoinTimeline() == nil)
    }
}
