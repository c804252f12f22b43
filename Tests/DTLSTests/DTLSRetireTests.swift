import Testing

@testable import DTLS

/// A retired association keeps only its record keys: what it writes, OpenSSL on the other side must read,
/// and what OpenSSL writes, it must read. One wrong byte of a derived key fails the AEAD tag, so each of
/// these runs the whole derivation against OpenSSL's own.
@Suite struct DTLSRetireTests {
    /// The AEAD suites `SSLContextFactory` offers for our ECDSA certificate: AES-128-GCM (browsers),
    /// AES-256-GCM with the SHA-384 PRF (OpenSSL clients such as aiortc pick it first) and ChaCha20-Poly1305.
    static let suites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]

    enum Side: CaseIterable { case server, client, both }

    static func connectedLink(suite: String) throws -> Link {
        let link = try Link { $0.cipherList = suite }
        link.start()
        link.pump()
        #expect(link.client.state == .connected && link.server.state == .connected)
        return link
    }

    @Test(arguments: suites, Side.allCases)
    func aRetiredSideReadsItsPeersCloseNotify(suite: String, retired: Side) throws {
        let link = try Self.connectedLink(suite: suite)
        if retired != .client { #expect(link.server.retire()) }
        if retired != .server { #expect(link.client.retire()) }
        link.client.close()
        link.pump()
        #expect(link.serverEvents.last == .closed)
        #expect(link.server.state == .closed)
    }

    @Test(arguments: suites, Side.allCases)
    func aRetiredSidesCloseNotifyReachesItsPeer(suite: String, retired: Side) throws {
        let link = try Self.connectedLink(suite: suite)
        if retired != .client { #expect(link.server.retire()) }
        if retired != .server { #expect(link.client.retire()) }
        link.server.close()
        link.pump()
        #expect(link.clientEvents.last == .closed)
        #expect(link.client.state == .closed)
    }

    @Test func aRetiredSideAnswersCloseNotifyWithItsOwn() throws {
        let link = try Self.connectedLink(suite: Self.suites[0])
        #expect(link.server.retire())
        link.client.close()
        let closeNotify = try #require(link.client.pollTransmit())
        link.server.handleDatagram(closeNotify, now: link.now)
        #expect(link.server.pollEvent() == .closed)
        let answer = try #require(link.server.pollTransmit())
        #expect(answer.first == 21 && answer.count == 13 + 8 + 2 + 16)
    }

    /// OpenSSL offers no call that sends a fatal alert after the handshake, so the client's own kept keys
    /// write one (handshake_failure).
    @Test func aFatalAlertFromThePeerFailsARetiredAssociation() throws {
        let link = try Self.connectedLink(suite: Self.suites[1])
        #expect(link.server.retire() && link.client.retire())
        var clientKeys = try #require(link.client.retired)
        let sealedWarning = clientKeys.seal(contentType: 21, [1, 90])
        let warning = try #require(sealedWarning)
        link.server.handleDatagram(warning, now: link.now)
        #expect(link.server.pollEvent() == nil && link.server.state == .connected)
        let sealedFatal = clientKeys.seal(contentType: 21, [2, 40])
        let fatal = try #require(sealedFatal)
        link.server.handleDatagram(fatal, now: link.now)
        #expect(link.server.pollEvent() == .failed(.protocolError(reason: "peer sent fatal alert 40")))
        #expect(link.server.state == .failed)
    }

    @Test func aForgedAlertIsIgnored() throws {
        let link = try Self.connectedLink(suite: Self.suites[0])
        #expect(link.server.retire())
        link.client.close()
        let closeNotify = try #require(link.client.pollTransmit())
        for index in [3, 10, 13, 22, closeNotify.count - 1] { // epoch, sequence, explicit nonce, ciphertext, tag
            var forged = closeNotify
            forged[index] ^= 0x01
            link.server.handleDatagram(forged, now: link.now)
            #expect(link.server.pollEvent() == nil)
            #expect(link.server.state == .connected)
        }
        link.server.handleDatagram(Array(closeNotify.dropLast()), now: link.now) // truncated
        link.server.handleDatagram(closeNotify, now: link.now)
        #expect(link.server.pollEvent() == .closed)
    }

    /// A hostile peer packs a datagram with records: only the first few are decrypted.
    @Test func aRetiredSideReadsOnlyTheFirstRecordsOfADatagram() throws {
        let link = try Self.connectedLink(suite: Self.suites[0])
        #expect(link.server.retire())
        link.client.close()
        let closeNotify = try #require(link.client.pollTransmit())
        var forged = closeNotify
        forged[forged.count - 1] ^= 0x01
        let limit = DTLSConnection.recordsReadPerDatagram
        link.server.handleDatagram(Array(repeating: forged, count: limit).flatMap { $0 } + closeNotify, now: link.now)
        #expect(link.server.pollEvent() == nil, "the close_notify after \(limit) forged records is not read")
        link.server.handleDatagram(Array(repeating: forged, count: limit - 1).flatMap { $0 } + closeNotify, now: link.now)
        #expect(link.server.pollEvent() == .closed)
    }

    @Test func aRetiredSideIgnoresEverythingButAlerts() throws {
        let link = try Self.connectedLink(suite: Self.suites[0])
        #expect(link.server.retire())
        link.client.close()
        var record = try #require(link.client.pollTransmit())
        record[0] = 23 // the same sealed bytes as application data
        link.server.handleDatagram(record, now: link.now)
        link.server.handleDatagram([22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1], now: link.now) // a late ClientHello
        #expect(link.server.pollEvent() == nil)
        #expect(link.server.pollTransmit() == nil)
        #expect(link.server.pollTimeout() == nil)
        #expect(link.server.state == .connected)
    }

    @Test func onlyAConnectedAssociationRetires() throws {
        let link = try Link()
        #expect(!link.server.retire())
        link.start()
        #expect(!link.client.retire()) // mid-handshake: its flights may still need retransmitting
        link.pump()
        #expect(link.server.retire())
        #expect(!link.server.retire())
        #expect(link.server.isRetired && !link.client.isRetired)
    }

    /// Records after the handshake continue the sequence OpenSSL used, retransmissions included: a reused
    /// number would repeat a GCM nonce under the same key, and the peer would drop the record as a replay.
    @Test func aRetiredSideContinuesTheRecordSequence() async throws {
        let link = try Link { $0.initialRetransmitTimeout = .milliseconds(100) }
        var lost = 0
        var serverSequences: [UInt64] = []
        link.drop = { direction, _, datagram in
            guard direction == .serverToClient else { return false }
            if datagram.count >= 13, datagram[3] == 0, datagram[4] == 1 {
                serverSequences.append(datagram[5..<11].reduce(0) { $0 << 8 | UInt64($1) })
            }
            guard link.server.state == .connected, lost < 4 else { return false }
            lost += 1
            return true
        }
        link.start()
        link.pump()
        #expect(lost > 0 && link.client.state == .handshaking)
        let deadline = try #require(link.client.pollTimeout())
        try await Task.sleep(until: deadline + .milliseconds(20), clock: .continuous)
        link.now = .now
        lost = 4
        link.client.handleTimeout(now: link.now)
        link.pump()
        #expect(link.client.state == .connected)
        #expect(serverSequences.max() ?? 0 >= 1) // the resent Finished took a new number
        #expect(link.server.retire())
        link.server.close()
        let closeNotify = try #require(link.server.pollTransmit())
        #expect(closeNotify[5..<11].reduce(0) { $0 << 8 | UInt64($1) } == (serverSequences.max() ?? 0) + 1)
        link.client.handleDatagram(closeNotify, now: link.now)
        #expect(link.client.pollEvent() == .closed)
    }
}
