import PeerClient
import RTP
import Relay
import STUN
import Testing

@Suite struct RelayRobustnessTests {
    @Test func garbageFromAnywhereIsDroppedAndCounted() throws {
        let harness = try RelayHarness()
        let stranger = TransportAddress(ipv4: 127, 0, 0, 9, port: 9)
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 11, 12, 20, 100, 1_200] {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                harness.deliverToRelay(bytes, from: stranger)
            }
        }
        let counters = harness.engine.counters
        #expect(counters.datagramsIn == 400)
        #expect(counters.rtpForwarded == 0)
        let dropped = DropReason.allCases.reduce(UInt64(0)) { $0 + counters.drops($1) }
        #expect(dropped == 400)
        #expect(counters.drops(.unknownSource) > 0)
    }

    @Test func tamperedAndReplayedSRTPAreDropped() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly)
        harness.pump()
        let packet = try RTPHeaderBuilder(
            marker: false, payloadType: 111, sequenceNumber: 1, timestamp: 0, ssrc: host.peer.audioSSRC
        ).packet(payload: [UInt8](repeating: 7, count: 60))
        let protected = try host.peer.protectRTP(packet)
        var tampered = protected
        tampered[20] ^= 0x01
        harness.deliverToRelay(tampered, from: host.address)
        #expect(harness.engine.counters.drops(.srtpAuthentication) == 1)
        harness.deliverToRelay(protected, from: host.address)
        harness.deliverToRelay(protected, from: host.address)
        #expect(harness.engine.counters.drops(.srtpReplay) == 1)
        #expect(harness.rtp(to: viewer.address).count == 1)
    }

    @Test func rtpFromAnUnknownSSRCIsDropped() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        harness.pump()
        try harness.send(
            from: host.peer, at: host.address, ssrc: 0xDEAD_BEEF, payloadType: 111, sequenceNumber: 1, timestamp: 0,
            payload: [1, 2, 3])
        #expect(harness.engine.counters.drops(.unknownSSRC) == 1)
    }

    @Test func rejectsOffersItCannotServe() throws {
        let harness = try RelayHarness()
        #expect(throws: RelayError.self) {
            try harness.engine.join(
                .init(roomID: "r", userID: "u", role: .participant, intent: .publish, offer: "not sdp"), now: .now)
        }
        let peer = try PeerClient()
        // A viewer's recvonly offer sent to the publish endpoint has nothing to publish.
        let recvonly = peer.makeOffer(audio: .recvonly, video: .recvonly)
        #expect(throws: RelayError.noUsableMedia) {
            try harness.engine.join(
                .init(roomID: "r", userID: "u", role: .participant, intent: .publish, offer: recvonly), now: .now)
        }
        let noFingerprint = peer.makeOffer(audio: .sendonly, video: nil)
            .split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n") + "\r\n"
        #expect(throws: RelayError.self) {
            try harness.engine.join(
                .init(roomID: "r", userID: "u", role: .participant, intent: .publish, offer: noFingerprint), now: .now)
        }
        #expect(harness.engine.participantCount == 0)
    }

    @Test func aFullRoomRefusesNewUsersButNotReturningOnes() throws {
        let harness = try RelayHarness(capacity: 2)
        _ = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        _ = try harness.join(user: "a", intent: .subscribe(userID: nil), audio: .recvonly)
        #expect(throws: RelayError.roomFull) {
            _ = try harness.join(user: "b", intent: .subscribe(userID: nil), audio: .recvonly)
        }
        // The mentor's second connection (watching someone) is the same user: allowed.
        _ = try harness.join(user: "mentor", role: .host, intent: .subscribe(userID: "a"), audio: .recvonly)
        // Other rooms are unaffected.
        _ = try harness.join(user: "b", intent: .subscribe(userID: nil), audio: .recvonly, room: "room-2")
    }

    @Test func answerIsIceLitePassiveAndBundled() throws {
        let harness = try RelayHarness()
        let peer = try PeerClient()
        let result = try harness.engine.join(
            .init(
                roomID: "r", userID: "u", role: .host, intent: .publish,
                offer: peer.makeOffer(audio: .sendonly, video: .sendrecv)), now: .now)
        let answer = result.answer
        #expect(answer.contains("a=ice-lite\r\n"))
        #expect(answer.contains("a=setup:passive\r\n"))
        #expect(answer.contains("a=group:BUNDLE 0 1\r\n"))
        #expect(answer.contains("a=recvonly\r\n"))
        #expect(answer.contains("a=fingerprint:\(harness.engine.certificate.fingerprint.sdpValue)\r\n"))
        #expect(answer.contains("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"))
        #expect(answer.contains("a=rtpmap:111 opus/48000/2\r\n"))
        #expect(answer.contains("a=rtpmap:96 VP8/90000\r\n"))
        #expect(answer.contains("a=rtcp-fb:96 nack pli\r\n"))
    }

    @Test func leavingEmitsAttendanceAndStatistics() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly)
        harness.pump()
        for i in 0..<10 {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 111,
                sequenceNumber: UInt16(i * 2), timestamp: UInt32(960 * i), payload: [UInt8](repeating: 1, count: 50))
        }
        var output = CollectingOutput()
        try harness.engine.leave(participantID: viewer.participantID, now: .now, output: &output)
        try harness.engine.leave(participantID: host.participantID, now: .now, output: &output)
        #expect(throws: RelayError.unknownParticipant) {
            try harness.engine.leave(participantID: host.participantID, now: .now, output: &output)
        }
        while let event = harness.engine.pollEvent() { harness.events.append(event) }
        var left: [String: ParticipantStatistics] = [:]
        for case .left(let who, let statistics, let reason) in harness.events {
            #expect(reason == .requested)
            left[who.userID] = statistics
        }
        #expect(left["mentor"]?.packetsIn == 10)
        // Every other packet number was skipped: the uplink lost 9 of 19.
        #expect(left["mentor"]?.packetsLost == 9)
        #expect(left["mentor"]?.audioOnly == false)
        #expect(left["learner"]?.packetsOut == 10)
        #expect(harness.engine.participantCount == 0)
        #expect(harness.engine.roomCount == 0)
    }

    @Test func audioOnlyPublisherIsMarked() throws {
        let harness = try RelayHarness()
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly)
        harness.pump()
        #expect(host.peer.isConnected)
        #expect(harness.engine.statistics(participantID: host.participantID, now: .now)?.audioOnly == true)
    }
}
