import DTLS
import ICE
import Foundation
import PeerClient
import RTCP
import RTP
import STUN
import Testing

@testable import Relay

/// What one client can make the relay do is bounded: NACKs, m-lines, connections, SSRCs, addresses.
@Suite struct RelayLimitsTests {
    typealias Peer = (peer: PeerClient, participantID: String, address: TransportAddress)

    func connectedPair(
        configure: (inout RelayConfiguration) -> Void = { _ in }, editViewerOffer: (String) -> String = { $0 }
    ) throws -> (RelayHarness, host: Peer, viewer: Peer) {
        let harness = try RelayHarness(configure: configure)
        let host = try harness.join(user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly)
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly,
            editOffer: editViewerOffer)
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        return (harness, host, viewer)
    }

    /// Sends `count` video packets of about 1,000 bytes from the host, starting with a keyframe.
    func sendVideo(_ harness: RelayHarness, from host: Peer, count: Int, firstSequence: UInt16 = 1_000) throws {
        for i in 0..<count {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: firstSequence &+ UInt16(i), timestamp: UInt32(3_000 * i),
                payload: RelayHarness.vp8Payload(keyframe: i == 0, pictureID: UInt16(i), size: 1_000))
        }
    }

    func nack(_ harness: RelayHarness, from viewer: Peer, _ sequenceNumbers: [UInt16]) throws {
        let packet = try GenericNack.build(
            senderSSRC: 1, mediaSSRC: try #require(viewer.peer.remoteSSRCs["video"]),
            lostSequenceNumbers: sequenceNumbers)
        harness.deliverToRelay(try viewer.peer.protectRTCP(packet), from: viewer.address)
    }

    // MARK: NACK

    @Test func oneHugeNackCannotMakeThousandsOfRetransmissions() throws {
        let (harness, host, viewer) = try connectedPair()
        try sendVideo(harness, from: host, count: 300)
        let forwarded = harness.rtp(to: viewer.address).filter { $0.header.payloadType == 96 }
        let first = try #require(forwarded.first?.header.sequenceNumber)
        // One NACK naming all 300 packets, sent five times: before the limits this was 1,500 resends.
        let all = (0..<300).map { first &+ UInt16($0) }
        for _ in 0..<5 { try nack(harness, from: viewer, all) }
        let counters = harness.engine.counters
        // The burst (24,000 bytes) pays for about 23 packets of ~1,030 bytes, plus 10% of the 300 sent.
        #expect(counters.retransmissions > 0)
        #expect(counters.retransmissions <= 60)
        #expect(counters.refused(.overBudget) >= 1)
    }

    @Test func aRepeatedNackInsideTheWindowIsAnsweredOnce() async throws {
        // A window far longer than the ten NACKs take, even on a loaded machine.
        let (harness, host, viewer) = try connectedPair { $0.limits.retransmissionWindow = .seconds(1) }
        try sendVideo(harness, from: host, count: 5)
        let first = try #require(harness.rtp(to: viewer.address).first { $0.header.payloadType == 96 }).header
            .sequenceNumber
        for _ in 0..<10 { try nack(harness, from: viewer, [first &+ 2]) }
        #expect(harness.engine.counters.retransmissions == 1)
        #expect(harness.engine.counters.refused(.duplicate) == 9)
        // Past the window the same loss may be real again.
        try await Task.sleep(for: .milliseconds(1_100))
        try nack(harness, from: viewer, [first &+ 2])
        #expect(harness.engine.counters.retransmissions == 2)
    }

    @Test func theBudgetRefillsFromMediaSent() throws {
        let (harness, host, viewer) = try connectedPair {
            $0.limits.retransmissionBurstBytes = 5_000
            $0.limits.retransmissionShare = 0.5
        }
        try sendVideo(harness, from: host, count: 20)
        let first = try #require(harness.rtp(to: viewer.address).first { $0.header.payloadType == 96 }).header
            .sequenceNumber
        try nack(harness, from: viewer, (0..<20).map { first &+ UInt16($0) })
        let spent = harness.engine.counters.retransmissions
        #expect(spent >= 4 && spent <= 5)  // 5,000 bytes of burst at ~1,030 bytes a packet
        try sendVideo(harness, from: host, count: 10, firstSequence: 1_020)
        // 10 packets sent earn half their bytes: about 5 more resends (capped by the 5,000-byte burst).
        try nack(harness, from: viewer, (10..<20).map { first &+ UInt16($0) })
        #expect(harness.engine.counters.retransmissions > spent)
        #expect(harness.engine.counters.retransmissions <= spent + 5)
    }

    @Test func noRetransmissionWithoutNegotiatedNack() throws {
        let (harness, host, viewer) = try connectedPair(editViewerOffer: { offer in
            offer.replacingOccurrences(of: "a=rtcp-fb:96 nack\r\n", with: "")
        })
        try sendVideo(harness, from: host, count: 5)
        let first = try #require(harness.rtp(to: viewer.address).first { $0.header.payloadType == 96 }).header
            .sequenceNumber
        try nack(harness, from: viewer, [first &+ 1, first &+ 2])
        #expect(harness.engine.counters.retransmissions == 0)
        #expect(harness.engine.counters.refused(.notNegotiated) == 1)
    }

    // MARK: Keyframe requests

    @Test func aPLIStormReachesThePublisherAsOneRequestPerInterval() throws {
        let (harness, host, viewer) = try connectedPair()
        try sendVideo(harness, from: host, count: 2)
        let before = harness.engine.counters.keyframeRequests
        let videoSSRC = try #require(viewer.peer.remoteSSRCs["video"])
        for _ in 0..<200 {
            let pli = PictureLossIndication(senderSSRC: 1, mediaSSRC: videoSSRC).build()
            harness.deliverToRelay(try viewer.peer.protectRTCP(pli), from: viewer.address)
        }
        #expect(harness.engine.counters.keyframeRequests - before <= 1)
    }

    // MARK: Offers

    /// An offer with the host's video section repeated under new mids.
    static func repeatingVideo(_ offer: String, copies: Int) -> String {
        let parts = offer.components(separatedBy: "m=")
        guard let video = parts.last(where: { $0.hasPrefix("video") }) else { return offer }
        var text = parts.joined(separator: "m=")
        var mids: [String] = []
        for copy in 0..<copies {
            let mid = "v\(copy)"
            mids.append(mid)
            text += "m=" + video.replacingOccurrences(of: "a=mid:1\r\n", with: "a=mid:\(mid)\r\n")
        }
        return text.replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 " + mids.joined(separator: " "))
    }

    @Test func anOfferWithTooManyMediaSectionsIsRefused() throws {
        let harness = try RelayHarness()
        let offer = Self.repeatingVideo(try PeerClient().makeOffer(audio: .recvonly, video: .recvonly), copies: 15)
        #expect(RelayEngine.mediaLineCount(offer) == 17)
        #expect {
            try harness.engine.join(
                .init(roomID: "r", userID: "u", role: .participant, intent: .subscribe(userID: nil), offer: offer),
                now: .now)
        } throws: { error in
            guard case RelayError.invalidOffer(let reason) = error else { return false }
            return reason.contains("17 m-lines")
        }
    }

    @Test func aSubscriberCannotAttachTheSameSourceTwice() throws {
        let (harness, host, viewer) = try connectedPair(editViewerOffer: { Self.repeatingVideo($0, copies: 10) })
        let answer = try #require(harness.engine.router.participant(id: viewer.participantID))
        #expect(answer.consumers.filter { $0.media.kind == .video }.count == 1)
        try sendVideo(harness, from: host, count: 10)
        #expect(harness.rtp(to: viewer.address).filter { $0.header.payloadType == 96 }.count == 10)
    }

    @Test func aHostileOfferOfThousandsOfFormatsNegotiatesInOnePass() throws {
        // 64 KB of formats and rtpmaps in one section; VP8 is the very last one.
        let offer = try PeerClient().makeOffer(audio: nil, video: .recvonly)
        var formats: [String] = []
        var maps: [String] = []
        for i in 0..<2_500 {
            formats.append("\(i % 128)")
            maps.append("a=rtpmap:\(i % 96) H264/90000")
        }
        let hostile = offer
            .replacingOccurrences(of: "UDP/TLS/RTP/SAVPF 96", with: "UDP/TLS/RTP/SAVPF " + formats.joined(separator: " ") + " 96")
            .replacingOccurrences(of: "a=rtpmap:96 VP8/90000", with: maps.joined(separator: "\r\n") + "\r\na=rtpmap:96 VP8/90000")
        let prepared = try RelayEngine.prepare(
            .init(roomID: "r", userID: "u", role: .participant, intent: .subscribe(userID: nil), offer: hostile),
            configuration: RelayConfiguration(port: 40_000), fingerprint: try DTLSCertificate().fingerprint)
        #expect(prepared.media.count == 1)
        #expect(prepared.media.first?.payloadType == 96)
    }

    // MARK: Connections

    @Test func oneUserAndOneTokenHaveBoundedConnections() throws {
        let harness = try RelayHarness {
            $0.limits.connectionsPerUser = 3
            $0.limits.connectionsPerToken = 2
        }
        let offer = { try PeerClient().makeOffer(audio: .recvonly, video: .recvonly) }
        func join(_ user: String, token: String?) throws(RelayError) -> String {
            let text = (try? offer()) ?? ""
            return try harness.engine.join(
                .init(roomID: "r", userID: user, role: .participant, intent: .subscribe(userID: nil), offer: text,
                    tokenID: token), now: .now
            ).participantID
        }
        // A token replayed: two connections, then 429-worthy refusals.
        let first = try join("u1", token: "jti-1")
        _ = try join("u1", token: "jti-1")
        #expect(throws: RelayError.tooManyConnections("this room token already made 2 connections")) {
            try join("u1", token: "jti-1")
        }
        // The same user with a fresh token: the per-user bound.
        _ = try join("u1", token: "jti-2")
        #expect(throws: RelayError.tooManyConnections("this user already has 3 connections to the relay")) {
            try join("u1", token: "jti-3")
        }
        _ = try join("u2", token: "jti-4")
        // Leaving frees a slot.
        var output = CollectingOutput()
        try harness.engine.leave(participantID: first, now: .now, output: &output)
        _ = try join("u1", token: "jti-1")
    }

    @Test func aWorkerBoundsItsParticipantsAndRooms() throws {
        let harness = try RelayHarness {
            $0.limits.participantsPerWorker = 3
            $0.limits.roomsPerWorker = 2
        }
        func join(_ user: String, room: String) throws(RelayError) {
            let text = (try? PeerClient().makeOffer(audio: .recvonly, video: nil)) ?? ""
            _ = try harness.engine.join(
                .init(roomID: room, userID: user, role: .participant, intent: .subscribe(userID: nil), offer: text),
                now: .now)
        }
        try join("a", room: "r1")
        try join("b", room: "r2")
        #expect(throws: RelayError.relayFull("this relay worker holds its maximum of 2 rooms")) {
            try join("c", room: "r3")
        }
        try join("c", room: "r1")
        #expect(throws: RelayError.relayFull("this relay worker holds its maximum of 3 participants")) {
            try join("d", room: "r1")
        }
    }

    // MARK: SSRCs and addresses

    @Test func unknownSSRCsAreDroppedBeforeSRTP() throws {
        let (harness, host, _) = try connectedPair()
        // Garbage that only looks like RTP for an SSRC no track has: dropped as unknown, not even
        // authenticated (libsrtp would otherwise clone stream state for it).
        var packet = try RTPHeaderBuilder(
            marker: false, payloadType: 111, sequenceNumber: 1, timestamp: 0, ssrc: 0xDEAD_BEEF
        ).packet(payload: [UInt8](repeating: 1, count: 60))
        packet += [UInt8](repeating: 0, count: 16)
        for ssrc in UInt32(1)...200 {
            packet[8] = UInt8(ssrc >> 24)
            packet[9] = UInt8(ssrc >> 16 & 0xFF)
            packet[10] = UInt8(ssrc >> 8 & 0xFF)
            packet[11] = UInt8(ssrc & 0xFF)
            harness.deliverToRelay(packet, from: host.address)
        }
        #expect(harness.engine.counters.drops(.unknownSSRC) == 200)
        #expect(harness.engine.counters.drops(.srtpAuthentication) == 0)
    }

    @Test func rtpLargerThanTheRelayForwardsIsDroppedNotCopiedPastItsBuffer() throws {
        let (harness, host, viewer) = try connectedPair()
        for size in [1_900, 3_000, 9_000, 60_000] {
            try harness.send(
                from: host.peer, at: host.address, ssrc: host.peer.videoSSRC, payloadType: 96,
                sequenceNumber: UInt16(size / 100), timestamp: 0,
                payload: RelayHarness.vp8Payload(keyframe: true, pictureID: 1, size: size))
        }
        #expect(harness.engine.counters.drops(.oversized) == 3)
        #expect(harness.rtp(to: viewer.address).count == 1)
    }

    @Test func rtcpFromManySenderSSRCsIsBounded() throws {
        let (harness, _, viewer) = try connectedPair { $0.limits.rtcpSendersPerParticipant = 4 }
        let videoSSRC = try #require(viewer.peer.remoteSSRCs["video"])
        for sender in UInt32(100)..<UInt32(120) {
            let pli = PictureLossIndication(senderSSRC: sender, mediaSSRC: videoSSRC).build()
            harness.deliverToRelay(try viewer.peer.protectRTCP(pli), from: viewer.address)
        }
        #expect(harness.engine.counters.drops(.unknownSSRC) == 16)
        #expect(harness.engine.router.participant(id: viewer.participantID)?.transport.rtcpSenders.count == 4)
    }

    @Test func aCheckFromAnotherParticipantsAddressCannotTakeItOver() throws {
        let (harness, host, _) = try connectedPair()
        // A third peer sends its (valid, its own) first check from the host's address.
        let intruder = try harness.join(user: "intruder", intent: .subscribe(userID: nil), audio: .recvonly)
        let (check, _) = try #require(intruder.peer.pollTransmit())
        harness.deliverToRelay(check, from: host.address)
        #expect(harness.engine.counters.drops(.addressInUse) == 1)
        let participant = try #require(harness.engine.router.participant(id: intruder.participantID))
        #expect(participant.transport.knownAddresses.isEmpty)
        #expect(participant.transport.remote == nil)
        // The host's media still flows.
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 111, sequenceNumber: 1,
            timestamp: 0, payload: [1, 2, 3])
        #expect(harness.engine.counters.drops(.unknownSource) == 0)
    }

    @Test func forgedChecksFromAnywhereGetFewAnswers() throws {
        let (harness, _, viewer) = try connectedPair()
        let participant = try #require(harness.engine.router.participant(id: viewer.participantID))
        // The real ufrag pair (it travels in the clear), a wrong password: a forged check.
        let forged = ICEConnectivityCheck.makeBindingRequest(
            username: "\(participant.transport.ice.configuration.localUfrag):\(viewer.peer.localUfrag)", password: "not-the-password",
            priority: 1, useCandidate: true, tieBreaker: 7, transactionID: .random())
        var output = CollectingOutput()
        for port in UInt16(30_000)..<30_200 {
            var bytes = forged
            bytes.withUnsafeMutableBytes {
                harness.engine.handleDatagram(
                    $0, from: TransportAddress(ipv4: 10, 0, 0, 1, port: port), now: .now, output: &output)
            }
        }
        #expect(harness.engine.counters.drops(.rejectedSTUN) == 200)
        #expect(output.datagrams.count <= 10)
        #expect(participant.transport.knownAddresses.count == 1)
    }

    @Test func checksFromEverNewPortsKeepTheAddressTableBounded() throws {
        let (harness, _, viewer) = try connectedPair()
        let participant = try #require(harness.engine.router.participant(id: viewer.participantID))
        let maximum = participant.transport.ice.configuration.maximumPairs
        // Replays the peer's nominating check (valid integrity) from 100 ports.
        viewer.peer.start(now: .now)
        let (check, _) = try #require(viewer.peer.pollTransmit())
        for port in UInt16(20_000)..<20_100 {
            harness.deliverToRelay(check, from: TransportAddress(ipv4: 127, 0, 0, 1, port: port))
        }
        #expect(participant.transport.knownAddresses.count <= maximum)
    }

    @Test func dtlsWithoutANominatedPairTimesOut() throws {
        let (harness, _, viewer) = try connectedPair { $0.connectTimeout = .seconds(2) }
        let participant = try #require(harness.engine.router.participant(id: viewer.participantID))
        participant.transport.forgetNomination()  // as if DTLS ran over a checked address that was never nominated
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: .now + .seconds(1), output: &output)
        #expect(harness.engine.router.participant(id: viewer.participantID) != nil)
        harness.engine.handleTimeout(now: .now + .seconds(3), output: &output)
        #expect(harness.engine.router.participant(id: viewer.participantID) == nil)
    }
}
