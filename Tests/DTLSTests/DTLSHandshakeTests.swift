import Testing
import DTLS
import SRTP

struct DTLSHandshakeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let clientOffers: [DTLSSRTPProfile]
        let expected: DTLSSRTPProfile
        var testDescription: String { "client offers \(clientOffers) → \(expected)" }
    }

    /// The server lists GCM first and wins; a client offering only AES-CM still gets AES-CM.
    static let cases = [
        Case(clientOffers: [.aes128CmHmacSha1_80, .aeadAes128Gcm], expected: .aeadAes128Gcm),
        Case(clientOffers: [.aes128CmHmacSha1_80], expected: .aes128CmHmacSha1_80),
    ]

    @Test(arguments: cases)
    func handshakeDerivesMatchingKeysAndSRTPWorksBothWays(testCase: Case) throws {
        let link = try Link(clientProfiles: testCase.clientOffers)
        link.start()
        link.pump()

        #expect(link.client.state == .connected)
        #expect(link.server.state == .connected)
        #expect(link.largestDatagram <= 1200)
        let clientKeys = try #require(link.clientKeys)
        let serverKeys = try #require(link.serverKeys)
        #expect(clientKeys.profile == testCase.expected)
        #expect(serverKeys.profile == testCase.expected)
        #expect(clientKeys.localMasterKey == serverKeys.remoteMasterKey)
        #expect(clientKeys.localMasterSalt == serverKeys.remoteMasterSalt)
        #expect(clientKeys.remoteMasterKey == serverKeys.localMasterKey)
        #expect(clientKeys.remoteMasterSalt == serverKeys.localMasterSalt)
        #expect(clientKeys.localMasterKey != clientKeys.remoteMasterKey)

        let profile = try #require(SRTPProfile(rawValue: clientKeys.profileID))
        #expect(clientKeys.localMasterKey.count == profile.masterKeyLength)
        #expect(clientKeys.localMasterSalt.count == profile.masterSaltLength)

        let clientOut = try SRTPContext(profile: profile, direction: .outbound,
                                        masterKey: clientKeys.localMasterKey, masterSalt: clientKeys.localMasterSalt)
        let serverIn = try SRTPContext(profile: profile, direction: .inbound,
                                       masterKey: serverKeys.remoteMasterKey, masterSalt: serverKeys.remoteMasterSalt)
        let serverOut = try SRTPContext(profile: profile, direction: .outbound,
                                        masterKey: serverKeys.localMasterKey, masterSalt: serverKeys.localMasterSalt)
        let clientIn = try SRTPContext(profile: profile, direction: .inbound,
                                       masterKey: clientKeys.remoteMasterKey, masterSalt: clientKeys.remoteMasterSalt)

        for (sender, receiver) in [(clientOut, serverIn), (serverOut, clientIn)] {
            let rtp: [UInt8] = [0x80, 0x60, 0x00, 0x2A, 0x00, 0x00, 0x10, 0x00, 0xDE, 0xAD, 0xBE, 0xEF]
                + (0..<160).map { UInt8(truncatingIfNeeded: $0 * 3) }
            var packet = rtp
            try sender.protectRTP(&packet)
            #expect(packet.count == rtp.count + profile.rtpOverhead)
            var tampered = packet
            tampered[40] ^= 0x80
            #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(&tampered) }
            var replay = packet
            try receiver.unprotectRTP(&packet)
            #expect(packet == rtp)
            #expect(throws: SRTPError.replayed) { try receiver.unprotectRTP(&replay) }

            // A receiver report with one report block (RFC 3550 §6.4.2).
            let rtcp: [UInt8] = [0x81, 0xC9, 0x00, 0x07, 0xDE, 0xAD, 0xBE, 0xEF]
                + [0x12, 0x34, 0x56, 0x78] + [UInt8](repeating: 0x05, count: 20)
            var report = rtcp
            try sender.protectRTCP(&report)
            #expect(report.count == rtcp.count + profile.rtcpOverhead)
            var tamperedReport = report
            tamperedReport[report.count - 1] ^= 0x01
            #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTCP(&tamperedReport) }
            try receiver.unprotectRTCP(&report)
            #expect(report == rtcp)
        }
    }

    @Test func serverRejectsClientWithWrongFingerprint() throws {
        let link = try Link(serverExpects: TestCertificates.server.fingerprint) // not the client's
        link.start()
        link.pump()
        #expect(link.server.state == .failed)
        #expect(link.serverEvents == [.failed(.fingerprintMismatch)])
        #expect(link.serverKeys == nil)
        #expect(link.clientKeys == nil)
        #expect(link.client.state == .failed) // The server's alert reaches the client.
    }

    @Test func clientRejectsServerWithWrongFingerprint() throws {
        let link = try Link(clientExpects: TestCertificates.client.fingerprint) // not the server's
        link.start()
        link.pump()
        #expect(link.clientEvents == [.failed(.fingerprintMismatch)])
        #expect(link.clientKeys == nil)
        #expect(link.serverKeys == nil)
    }

    @Test func lostFirstFlightIsRetransmittedAfterTimeout() async throws {
        let link = try Link { $0.initialRetransmitTimeout = .milliseconds(100) }
        var dropped: [[UInt8]] = []
        link.drop = { direction, index, datagram in
            guard direction == .clientToServer, index == 0 else { return false }
            dropped.append(datagram)
            return true
        }
        link.start()
        link.pump()
        #expect(dropped.count == 1)
        #expect(link.server.state == .handshaking)
        let deadline = try #require(link.client.pollTimeout())

        // Before the deadline nothing is resent.
        link.client.handleTimeout(now: link.now)
        #expect(link.client.pollTransmit() == nil)

        // OpenSSL's retransmission timer runs on the real clock, so let it expire for real.
        try await Task.sleep(until: deadline + .milliseconds(20), clock: .continuous)
        link.now = .now
        link.client.handleTimeout(now: link.now)
        let retransmitted = try #require(link.client.pollTransmit())
        #expect(retransmitted.count == dropped[0].count)
        link.server.handleDatagram(retransmitted, now: link.now)
        link.pump()

        #expect(link.clientKeys != nil)
        #expect(link.serverKeys != nil)
        #expect(link.clientKeys?.localMasterKey == link.serverKeys?.remoteMasterKey)
    }

    /// The server's last flight is lost: the server is connected (its record buffers given back) when the
    /// client's retransmitted flight arrives, and must still read it and resend its own.
    @Test func aConnectedServerAnswersARetransmittedFinished() async throws {
        let link = try Link { $0.initialRetransmitTimeout = .milliseconds(100) }
        var lost = 0
        link.drop = { direction, _, _ in
            guard direction == .serverToClient, link.server.state == .connected, lost < 4 else { return false }
            lost += 1
            return true
        }
        link.start()
        link.pump()
        #expect(lost > 0)
        #expect(link.server.state == .connected && link.client.state == .handshaking)
        let deadline = try #require(link.client.pollTimeout())
        try await Task.sleep(until: deadline + .milliseconds(20), clock: .continuous)
        link.now = .now
        lost = 4  // nothing more is lost
        link.client.handleTimeout(now: link.now)
        link.pump()
        #expect(link.client.state == .connected)
        #expect(link.clientKeys?.localMasterKey == link.serverKeys?.remoteMasterKey)
        // Both stay usable: a close from the server, whose buffers were given back twice, reaches the client.
        link.server.close()
        link.pump()
        #expect(link.client.state == .closed)
    }

    @Test func retransmitTimerStartsAtConfiguredInterval() throws {
        let link = try Link()
        let before = link.now
        link.client.start(now: before)
        #expect(link.client.pollTransmit() != nil)
        let deadline = try #require(link.client.pollTimeout())
        #expect(deadline > before)
        #expect(deadline <= before + .milliseconds(200))
    }

    @Test func handshakeFailsAfterItsBudget() throws {
        let link = try Link { $0.handshakeTimeout = .seconds(5) }
        link.client.start(now: link.now)
        link.client.handleTimeout(now: link.now + .seconds(4))
        #expect(link.client.state == .handshaking)
        link.client.handleTimeout(now: link.now + .seconds(5))
        #expect(link.client.state == .failed)
        #expect(link.client.pollEvent() == .failed(.timedOut))
        #expect(link.client.pollTimeout() == nil)
    }

    @Test func garbageDatagramsAreIgnored() throws {
        let link = try Link()
        var generator = SystemRandomNumberGenerator()
        func garbage() -> [UInt8] {
            var bytes = (0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] = UInt8.random(in: 20...63, using: &generator) // Looks like DTLS to a demultiplexer.
            return bytes
        }
        for _ in 0..<50 { link.server.handleDatagram(garbage(), now: link.now) }
        link.server.handleDatagram([], now: link.now)
        // A truncated copy of a real ClientHello.
        link.client.start(now: link.now)
        let hello = try #require(link.client.pollTransmit())
        for length in [1, 13, 14, 25, hello.count - 1] {
            link.server.handleDatagram(Array(hello.prefix(length)), now: link.now)
        }
        link.server.handleDatagram(hello, now: link.now)
        for _ in 0..<20 { link.client.handleDatagram(garbage(), now: link.now) }
        link.pump()
        #expect(link.clientKeys != nil && link.serverKeys != nil)

        for _ in 0..<50 {
            link.client.handleDatagram(garbage(), now: link.now)
            link.server.handleDatagram(garbage(), now: link.now)
        }
        #expect(link.client.state == .connected)
        #expect(link.server.state == .connected)
    }

    @Test func closeNotifyReachesThePeer() throws {
        let link = try Link()
        link.start()
        link.pump()
        #expect(link.client.state == .connected)
        link.client.close()
        #expect(link.client.state == .closed)
        link.pump()
        #expect(link.server.state == .closed)
        #expect(link.serverEvents.last == .closed)
    }

    @Test func invalidConfigurationIsRejected() throws {
        var configuration = DTLSConnection.Configuration(
            role: .server, certificate: TestCertificates.server, remoteFingerprint: TestCertificates.client.fingerprint)
        configuration.srtpProfiles = []
        #expect(throws: DTLSError.self) { _ = try DTLSConnection(configuration: configuration) }
        configuration.srtpProfiles = [.aeadAes128Gcm]
        configuration.maximumDatagramSize = 100
        #expect(throws: DTLSError.self) { _ = try DTLSConnection(configuration: configuration) }
    }

    @Test func keyingMaterialDescriptionHidesKeys() throws {
        let link = try Link()
        link.start()
        link.pump()
        let keys = try #require(link.clientKeys)
        #expect(String(describing: keys) == "DTLSSRTPKeyingMaterial(SRTP_AEAD_AES_128_GCM, keys redacted)")
    }
}
