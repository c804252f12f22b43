import PeerClient
import RTCP
import RTP
import SDP
import STUN
import Testing

@testable import Relay

/// RFC 8285 extensions per leg: a publisher's ids are rewritten into each subscriber's, the relay writes
/// its own per-hop elements, and the audio level drives the room's dominant speaker.
@Suite struct HeaderExtensionTests {
    typealias Peer = (peer: PeerClient, participantID: String, address: TransportAddress)
    static let audioLevel = HeaderExtensionIDs.audioLevelURI
    static let sendTime = HeaderExtensionIDs.absoluteSendTimeURI
    static let transportCC = HeaderExtensionIDs.transportWideCCURI

    func elements(_ packet: [UInt8], _ header: RTPHeader) -> [UInt8: [UInt8]] {
        packet.withUnsafeBytes { bytes in
            var result: [UInt8: [UInt8]] = [:]
            for element in header.extensions(in: bytes) { result[element.id] = Array(bytes[element.range]) }
            return result
        }
    }

    func sendAudio(
        _ harness: RelayHarness, from host: Peer, sequence: UInt16, level: UInt8, at now: ContinuousClock.Instant = .now
    ) throws {
        let packet = try RTPHeaderBuilder(
            payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) * 960, ssrc: host.peer.audioSSRC,
            extensions: [
                RTPHeaderExtension(id: 4, value: Array("0".utf8)), RTPHeaderExtension(id: 1, value: [0x80 | level]),
                RTPHeaderExtension(id: 2, value: [9, 9, 9]), RTPHeaderExtension(id: 13, value: [7]),
            ]
        ).packet(payload: [1, 2, 3])
        harness.deliverToRelay(try host.peer.protectRTP(packet), from: host.address, at: now)
    }

    @Test func theAnswerKeepsTheOfferedIdsOfWhatTheRelayUses() throws {
        let harness = try RelayHarness { $0.transportFeedbackToPublishers = true }
        let peer = try PeerClient()
        let offer = peer.makeOffer(
            audio: .sendonly, video: .sendonly,
            headerExtensions: [Self.audioLevel: 1, Self.sendTime: 2, Self.transportCC: 3, "urn:example:unknown": 13]
        ).replacingOccurrences(of: "a=rtcp-fb:96 nack\r\n", with: "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 transport-cc\r\n")
        let result = try harness.engine.join(
            .init(roomID: "r", userID: "u", role: .host, intent: .publish, offer: offer), now: .now)
        let answer = try SessionDescription(parsing: result.answer)
        let audio = Set(answer.media[0].extensionMaps.map { "\($0.id) \($0.uri)" })
        #expect(audio == [
            "4 \(HeaderExtensionIDs.midURI)", "1 \(Self.audioLevel)", "2 \(Self.sendTime)", "3 \(Self.transportCC)",
        ])
        // Video has no audio level; the unknown extension is not taken.
        let video = Set(answer.media[1].extensionMaps.map { "\($0.id) \($0.uri)" })
        #expect(video == ["4 \(HeaderExtensionIDs.midURI)", "2 \(Self.sendTime)", "3 \(Self.transportCC)"])
        #expect(answer.media[1].codecs.first?.feedback.contains { $0.type == "transport-cc" } == true)
    }

    @Test func aForwardedPacketCarriesTheSubscribersIdsAndTheRelaysOwnElements() throws {
        let harness = try RelayHarness()
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, video: .sendonly,
            offerExtensions: [Self.audioLevel: 1, Self.sendTime: 2])
        let viewer = try harness.join(
            user: "learner", intent: .subscribe(userID: nil), audio: .recvonly, video: .recvonly,
            offerExtensions: [Self.audioLevel: 11, Self.transportCC: 5, Self.sendTime: 6])
        harness.pump()
        try #require(host.peer.isConnected && viewer.peer.isConnected)
        try sendAudio(harness, from: host, sequence: 1, level: 30)
        try sendAudio(harness, from: host, sequence: 2, level: 31)
        let received = harness.rtp(to: viewer.address)
        try #require(received.count == 2)
        let first = elements(received[0].packet, received[0].header)
        #expect(first[11] == [0x80 | 30])  // the audio level, under the viewer's id
        #expect(first[4] == Array("0".utf8))  // the viewer's own mid
        #expect(first[5] == [0, 1])  // the relay's transport-wide sequence number
        #expect(first[6]?.count == 3)  // the relay's send time
        #expect(first[1] == nil && first[2] == nil && first[13] == nil)  // nothing of the publisher's ids
        #expect(elements(received[1].packet, received[1].header)[5] == [0, 2])
        #expect(Array(received[0].packet[received[0].header.payloadRange]) == [1, 2, 3])
    }

    @Test func aPublisherGetsTransportFeedbackForItsTransportWideSequenceNumbers() throws {
        let harness = try RelayHarness { $0.transportFeedbackToPublishers = true }
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, offerExtensions: [Self.transportCC: 3])
        harness.pump()
        try #require(host.peer.isConnected)
        let start = ContinuousClock.now
        for sequence in [UInt16(1), 2, 4, 5] {
            let packet = try RTPHeaderBuilder(
                payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) * 960, ssrc: host.peer.audioSSRC,
                extensions: [RTPHeaderExtension(id: 3, value: [0, UInt8(sequence)])]
            ).packet(payload: [1])
            harness.deliverToRelay(
                try host.peer.protectRTP(packet), from: host.address, at: start + .milliseconds(20 * Int(sequence)))
        }
        var output = CollectingOutput()
        harness.engine.handleTimeout(now: start + .milliseconds(400), output: &output)
        harness.deliverAll(output)
        var reported: [UInt16: Bool] = [:]
        for packet in harness.rtcp(to: host.address) {
            for item in try packet.withUnsafeBytes({ try RTCPCompoundPacket(validating: $0) }) {
                guard case .transportWideFeedback(let feedback) = item.view else { continue }
                #expect(feedback.mediaSSRC == host.peer.audioSSRC)
                for report in feedback.packets { reported[report.sequenceNumber] = report.receiveDelta != nil }
            }
        }
        #expect(reported == [1: true, 2: true, 3: false, 4: true, 5: true])
        #expect(harness.engine.counters.transportFeedback >= 1)
    }

    @Test func theDominantSpeakerFollowsWhoeverSpeaks() throws {
        let harness = try RelayHarness()
        let mentor = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, offerExtensions: [Self.audioLevel: 1])
        let learner = try harness.join(
            user: "learner", intent: .publish, audio: .sendonly, offerExtensions: [Self.audioLevel: 1])
        harness.pump()
        try #require(mentor.peer.isConnected && learner.peer.isConnected)
        let start = ContinuousClock.now
        var speakers: [String?] = []
        // Two seconds of the mentor speaking (level 20) while the learner is silent (127), then two of the
        // learner, then a 300 ms cough from the mentor while the learner goes on.
        for tick in 0..<250 {
            let at = start + .milliseconds(20 * tick)
            let mentorSpeaks = tick < 100 || (tick >= 200 && tick < 215)
            let learnerSpeaks = tick >= 100
            try sendAudio(harness, from: mentor, sequence: UInt16(tick), level: mentorSpeaks ? 20 : 127, at: at)
            try sendAudio(harness, from: learner, sequence: UInt16(tick), level: learnerSpeaks ? 20 : 127, at: at)
            while let event = harness.engine.pollRoomEvent() {
                if case .dominantSpeaker(let room, let user) = event {
                    #expect(room == "room-1")
                    speakers.append(user)
                }
            }
        }
        #expect(speakers == ["mentor", "learner"])
    }
}
