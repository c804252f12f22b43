import DTLS
import ICE
import RTP
import SRTP
import STUN
import Testing

@testable import PeerClient

/// Janus's side of one PeerConnection as far as the handshakes go: an ICE-lite responder with the
/// credentials from a captured SDP, a DTLS endpoint with its own certificate, SRTP once keyed.
final class FakeJanus {
    let certificate: DTLSCertificate
    var ice: ICELiteAgent
    var dtls: DTLSConnection?
    var inbound: SRTPContext?
    var outbound: SRTPContext?
    /// Where the tester's datagrams appear to come from.
    let peerAddress = TransportAddress(ipv4: 10, 77, 0, 1, port: 40_000)

    init(ufrag: String, password: String) throws {
        certificate = try DTLSCertificate()
        ice = ICELiteAgent(configuration: ICELiteConfiguration(localUfrag: ufrag, localPassword: password))
    }

    /// A captured description with this fake's fingerprint in place of the real Janus's.
    func withOwnFingerprint(_ sdp: String) -> String {
        sdp.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("a=fingerprint:") ? "a=fingerprint:\(certificate.fingerprint.sdpValue)" : String(line)
        }.joined(separator: "\r\n")
    }

    func prepareDTLS(role: DTLSConnection.Role, peer: PeerClient) throws {
        dtls = try DTLSConnection(
            configuration: .init(role: role, certificate: certificate, remoteFingerprint: peer.certificate.fingerprint))
    }

    /// One datagram from the tester; returns what goes back (RFC 7983 demultiplexing by first byte).
    func receive(_ datagram: [UInt8]) -> [[UInt8]] {
        guard let first = datagram.first else { return [] }
        var replies: [[UInt8]] = []
        if first < 4 {
            if let response = ice.handle(datagram, from: peerAddress, now: .now).response { replies.append(response) }
            // As Janus does once ICE is up: the DTLS client sends its ClientHello.
            if ice.selectedRemote != nil, let dtls, dtls.role == .client, dtls.state == .idle { dtls.start(now: .now) }
        } else if (20...63).contains(first), let dtls {
            dtls.handleDatagram(datagram, now: .now)
            while let event = dtls.pollEvent() {
                guard case .connected(let keys) = event, let profile = SRTPProfile(rawValue: keys.profileID) else { continue }
                inbound = try? SRTPContext(
                    profile: profile, direction: .inbound, masterKey: keys.remoteMasterKey, masterSalt: keys.remoteMasterSalt)
                outbound = try? SRTPContext(
                    profile: profile, direction: .outbound, masterKey: keys.localMasterKey, masterSalt: keys.localMasterSalt)
            }
        }
        while let datagram = dtls?.pollTransmit() { replies.append(datagram) }
        return replies
    }
}

@Suite struct JanusHandshakeTests {
    /// Moves datagrams both ways until neither side has anything left to say.
    func exchange(_ peer: PeerClient, _ janus: FakeJanus) {
        for _ in 0..<100 {
            var moved = false
            while let (datagram, _) = peer.pollTransmit() {
                moved = true
                for reply in janus.receive(datagram) { _ = peer.handleDatagram(reply, now: .now) }
            }
            while let datagram = janus.dtls?.pollTransmit() {
                moved = true
                _ = peer.handleDatagram(datagram, now: .now)
            }
            if !moved { return }
        }
    }

    @Test func subscriberAnswersConnectsAsDTLSClientAndReceivesMedia() throws {
        let janus = try FakeJanus(ufrag: "eVJa", password: "g2+uDwS2Qt9UZ+C13/fhRL")
        let peer = try PeerClient()
        _ = try peer.answer(offer: janus.withOwnFingerprint(JanusFixtures.subscriberOffer))
        try janus.prepareDTLS(role: .server, peer: peer)
        peer.start(now: .now)
        exchange(peer, janus)
        #expect(peer.isConnected)
        #expect(janus.dtls?.state == .connected)
        #expect(peer.srtpProfile != nil)

        let sent = try RTPHeaderBuilder(payloadType: 96, sequenceNumber: 7, timestamp: 90_000, ssrc: 2_236_920_932)
            .packet(payload: [0x10, 0x00, 0x9D, 0x01, 0x2A])
        var protected = sent
        try #require(janus.outbound).protectRTP(&protected)
        guard case .rtp(let header, let packet) = peer.handleDatagram(protected, now: .now) else {
            Issue.record("media from Janus did not unprotect")
            return
        }
        #expect(header.ssrc == 2_236_920_932)
        #expect(packet == sent)
    }

    @Test func publisherTakesJanusAnswerAndConnectsAsDTLSServer() throws {
        let janus = try FakeJanus(ufrag: "IRV9", password: "Hz7SZzgEQwZgKhqHM7L2uM")
        let peer = try PeerClient()
        _ = peer.makeOffer(audio: .sendonly, video: .sendonly)
        try peer.applyAnswer(janus.withOwnFingerprint(JanusFixtures.publisherAnswer))
        try janus.prepareDTLS(role: .client, peer: peer)
        peer.start(now: .now)
        exchange(peer, janus)
        #expect(peer.dtlsRole == .server)
        #expect(peer.isConnected)
        #expect(janus.dtls?.state == .connected)

        let sent = try RTPHeaderBuilder(payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: peer.audioSSRC)
            .packet(payload: [0xF8, 0xFF, 0xFE])
        var received = try peer.protectRTP(sent)
        try #require(janus.inbound).unprotectRTP(&received)
        #expect(received == sent)
    }

    @Test func answersTheRemoteAgentsChecks() throws {
        let janus = try FakeJanus(ufrag: "eVJa", password: "g2+uDwS2Qt9UZ+C13/fhRL")
        let peer = try PeerClient()
        _ = try peer.answer(offer: janus.withOwnFingerprint(JanusFixtures.subscriberOffer))
        let remote = try #require(peer.remote)
        let transaction = STUNTransactionID.random()
        // libnice's triggered check: USERNAME "ourUfrag:theirUfrag", keyed with our password.
        let check = ICEConnectivityCheck.makeBindingRequest(
            username: "\(peer.localUfrag):eVJa", password: peer.localPassword, priority: 1_845_501_695,
            useCandidate: false, tieBreaker: 42, transactionID: transaction)
        guard case .control = peer.handleDatagram(check, now: .now) else {
            Issue.record("a valid check was not answered")
            return
        }
        let (response, destination) = try #require(peer.pollTransmit())
        #expect(destination == remote)
        let parsed = try ICEConnectivityCheck.parseBindingResponse(
            response, transactionID: transaction, password: peer.localPassword)
        #expect(parsed == .success(mappedAddress: remote))
    }

    @Test(arguments: ["wrong password", "wrong username", "truncated", "not a request"])
    func dropsChecksItCannotAuthenticate(_ kind: String) throws {
        let janus = try FakeJanus(ufrag: "eVJa", password: "g2+uDwS2Qt9UZ+C13/fhRL")
        let peer = try PeerClient()
        _ = try peer.answer(offer: janus.withOwnFingerprint(JanusFixtures.subscriberOffer))
        let check: [UInt8]
        switch kind {
        case "wrong password":
            check = ICEConnectivityCheck.makeBindingRequest(
                username: "\(peer.localUfrag):eVJa", password: "not-the-password-at-all!", priority: 1,
                useCandidate: false, tieBreaker: 1)
        case "wrong username":
            check = ICEConnectivityCheck.makeBindingRequest(
                username: "someoneElse:eVJa", password: peer.localPassword, priority: 1, useCandidate: false, tieBreaker: 1)
        case "truncated":
            check = Array(ICEConnectivityCheck.makeBindingRequest(
                username: "\(peer.localUfrag):eVJa", password: peer.localPassword, priority: 1, useCandidate: false,
                tieBreaker: 1).prefix(31))
        default:
            // A Binding indication (class bits 01): never answered.
            check = [0x00, 0x11, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 7, count: 12)
        }
        guard case .dropped = peer.handleDatagram(check, now: .now) else {
            Issue.record("\(kind) was not dropped")
            return
        }
        #expect(peer.pollTransmit() == nil)
    }

    @Test(arguments: [
        (Duration.microseconds(300), Duration.milliseconds(50)), (.milliseconds(40), .milliseconds(80)),
        (.milliseconds(900), .milliseconds(1_800)), (.seconds(5), .seconds(3)),
    ])
    func clientHelloRetransmitsAfterTwiceTheICERoundTrip(_ pair: (roundTrip: Duration, expected: Duration)) {
        #expect(PeerClient.dtlsInitialTimeout(roundTrip: pair.roundTrip) == pair.expected)
    }
}
