import PeerClient
import RTP
import SDP
import STUN
import Testing

@testable import Relay

/// Opus RED (RFC 2198) passes through to subscribers that negotiated it; the others get the primary.
@Suite struct RedundantAudioForwardingTests {
    /// Adds `red/48000/2` (63, over Opus 111) to the audio section of a PeerClient offer.
    static func withRED(_ offer: String) -> String {
        offer.replacingOccurrences(of: "m=audio 9 UDP/TLS/RTP/SAVPF 111", with: "m=audio 9 UDP/TLS/RTP/SAVPF 111 63")
            .replacingOccurrences(
                of: "a=fmtp:111 minptime=10;useinbandfec=1",
                with: "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111")
    }

    @Test func redReachesWhoSpeaksItAndThePrimaryEveryoneElse() throws {
        let harness = try RelayHarness()
        let host = try harness.join(
            user: "mentor", role: .host, intent: .publish, audio: .sendonly, editOffer: Self.withRED)
        let answer = try SessionDescription(parsing: try #require(harness.answers[host.participantID]))
        #expect(answer.media[0].codecs.map(\.rtpMap.encodingName) == ["opus", "red"])
        let red = try harness.join(user: "a", intent: .subscribe(userID: nil), audio: .recvonly, editOffer: Self.withRED)
        let plain = try harness.join(user: "b", intent: .subscribe(userID: nil), audio: .recvonly)
        harness.pump()
        try #require(host.peer.isConnected && red.peer.isConnected && plain.peer.isConnected)
        // One redundant block (the previous frame, 960 ticks back, 3 bytes) and the primary.
        let payload: [UInt8] = [0xEF, 0x0F, 0x00, 0x03, 0x6F, 7, 7, 7, 1, 2, 3]
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 63, sequenceNumber: 5,
            timestamp: 4_800, payload: payload)
        let toRed = try #require(harness.rtp(to: red.address).last)
        #expect(toRed.header.payloadType == 63)
        #expect(Array(toRed.packet[toRed.header.payloadRange]) == payload)
        let toPlain = try #require(harness.rtp(to: plain.address).last)
        #expect(toPlain.header.payloadType == 111)
        #expect(Array(toPlain.packet[toPlain.header.payloadRange]) == [1, 2, 3])
        // A malformed RED payload reaches nobody who needs it unwrapped.
        try harness.send(
            from: host.peer, at: host.address, ssrc: host.peer.audioSSRC, payloadType: 63, sequenceNumber: 6,
            timestamp: 5_760, payload: [0xEF, 0x0F, 0x03, 0xFF])
        #expect(harness.rtp(to: plain.address).count == 1)
        #expect(harness.engine.counters.drops(.malformedRTP) >= 1)
    }
}
