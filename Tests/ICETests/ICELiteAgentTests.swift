import Testing
import STUN
@testable import ICE

/// A browser (full, controlling agent) talking to the relay's lite agent.
struct Browser {
    var relayUfrag = "RLAY"
    var relayPassword = "relay-password-0123456789"
    var ufrag = "brws"
    var tieBreaker: UInt64 = 0x1122_3344_5566_7788

    func check(useCandidate: Bool = false, transactionID: STUNTransactionID = .random(),
               password: String? = nil, username: String? = nil) -> [UInt8] {
        ICEConnectivityCheck.makeBindingRequest(
            username: username ?? "\(relayUfrag):\(ufrag)", password: password ?? relayPassword,
            priority: 0x6E7F_00FF, useCandidate: useCandidate, tieBreaker: tieBreaker,
            transactionID: transactionID)
    }
}

@Suite struct ICELiteAgentTests {
    let browser = Browser()
    let loopback = TransportAddress(ipv4: 127, 0, 0, 1, port: 50_001)
    let lan = TransportAddress(ipv4: 192, 168, 1, 20, port: 50_002)
    let start = ContinuousClock.now

    func makeAgent(remoteUfrag: String? = "brws", consentTimeout: Duration = .seconds(30),
                   maximumPairs: Int = 16) -> ICELiteAgent {
        ICELiteAgent(configuration: ICELiteConfiguration(
            localUfrag: browser.relayUfrag, localPassword: browser.relayPassword, remoteUfrag: remoteUfrag,
            consentTimeout: consentTimeout, software: "peerlearn-relay", maximumPairs: maximumPairs))
    }

    /// Expects an error response with `code`, checking RFC 8489 §9.1.3's rule on MESSAGE-INTEGRITY.
    func expectRejection(_ outcome: ICECheckOutcome, code: Int, authenticated: Bool,
                         transactionID: STUNTransactionID, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case .rejected(let response, let error) = outcome else {
            Issue.record("expected rejection \(code), got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == code, sourceLocation: sourceLocation)
        let message = try STUNMessage(parsing: response)
        #expect(message.type == .bindingError, sourceLocation: sourceLocation)
        #expect(message.transactionID == transactionID, sourceLocation: sourceLocation)
        #expect(message.username == nil, sourceLocation: sourceLocation)
        response.withUnsafeBytes { raw in
            #expect(message.errorCode(in: raw)?.code == code, sourceLocation: sourceLocation)
            #expect(message.verifyFingerprint(in: raw), sourceLocation: sourceLocation)
            let key = STUNIntegrityKey(shortTermPassword: browser.relayPassword)
            #expect(message.verifyIntegrity(key: key, in: raw) == authenticated, sourceLocation: sourceLocation)
        }
    }

    @Test("A browser's check gets an authenticated success response with its XOR-MAPPED-ADDRESS")
    func fullCheckExchange() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        let outcome = agent.handle(browser.check(transactionID: id), from: loopback, now: start)
        guard case .accepted(let response, let event) = outcome else {
            Issue.record("check not accepted: \(outcome)")
            return
        }
        #expect(event == nil)
        // What the browser does with the answer (RFC 8445 §7.2.5).
        let parsed = try ICEConnectivityCheck.parseBindingResponse(
            response, transactionID: id, password: browser.relayPassword)
        #expect(parsed == .success(mappedAddress: loopback))
        // And the wire details: success class, no USERNAME, FINGERPRINT last.
        let message = try STUNMessage(parsing: response)
        #expect(message.type == .bindingSuccess)
        #expect(message.username == nil)
        #expect(message.fingerprint?.endOffset == response.count)
        response.withUnsafeBytes { #expect(message.software(in: $0) == "peerlearn-relay") }

        #expect(agent.pairs.map(\.remote) == [loopback])
        #expect(agent.pairs.first?.priority == 0x6E7F_00FF)
        #expect(agent.pairs.first?.isNominated == false)
        #expect(agent.selectedRemote == nil)
    }

    @Test("IPv6 sources are echoed in XOR-MAPPED-ADDRESS")
    func ipv6Source() throws {
        var agent = makeAgent()
        let source = try #require(TransportAddress(ip: "2001:db8::7", port: 61_000))
        let id = STUNTransactionID.random()
        let response = try #require(agent.handle(browser.check(transactionID: id), from: source, now: start).response)
        let parsed = try ICEConnectivityCheck.parseBindingResponse(response, transactionID: id, password: browser.relayPassword)
        #expect(parsed == .success(mappedAddress: source))
    }

    @Test("An IPv4 peer seen through a dual-stack socket is one IPv4 pair")
    func ipv4MappedSource() throws {
        var agent = makeAgent()
        let mapped = try #require(TransportAddress(ip: "::ffff:127.0.0.1", port: 50_001))
        let id = STUNTransactionID.random()
        let response = try #require(agent.handle(browser.check(transactionID: id), from: mapped, now: start).response)
        _ = agent.handle(browser.check(), from: loopback, now: start)
        #expect(agent.pairs.map(\.remote) == [loopback])
        let parsed = try ICEConnectivityCheck.parseBindingResponse(response, transactionID: id, password: browser.relayPassword)
        #expect(parsed == .success(mappedAddress: loopback))
    }

    @Test("USE-CANDIDATE nominates and selects the pair once")
    func nomination() {
        var agent = makeAgent()
        guard case .accepted(_, let first) = agent.handle(browser.check(useCandidate: true), from: loopback, now: start),
              case .accepted(_, let second) = agent.handle(browser.check(useCandidate: true), from: loopback, now: start + .seconds(1))
        else {
            Issue.record("nominating checks were not accepted")
            return
        }
        #expect(first == .pairSelected(remote: loopback))
        #expect(second == nil)
        #expect(agent.selectedRemote == loopback)
        #expect(agent.selectedPair?.isNominated == true)
        #expect(agent.selectedPair?.lastValidCheck == start + .seconds(1))
    }

    @Test("Checks from a second address are answered; selection follows only a nomination")
    func addressSwitch() {
        var agent = makeAgent()
        _ = agent.handle(browser.check(useCandidate: true), from: loopback, now: start)
        // Chromium also checks from its LAN address without nominating it.
        let unnominated = agent.handle(browser.check(), from: lan, now: start + .seconds(1))
        guard case .accepted(_, nil) = unnominated else {
            Issue.record("check from second address: \(unnominated)")
            return
        }
        #expect(agent.selectedRemote == loopback)
        #expect(Set(agent.pairs.map(\.remote)) == [loopback, lan])

        let renominated = agent.handle(browser.check(useCandidate: true), from: lan, now: start + .seconds(2))
        guard case .accepted(_, let event) = renominated else {
            Issue.record("nomination from second address: \(renominated)")
            return
        }
        #expect(event == .selectedPairChanged(from: loopback, to: lan))
        #expect(agent.selectedRemote == lan)
        #expect(agent.pairs.allSatisfy { $0.isNominated })
    }

    @Test("Wrong password → 401 without MESSAGE-INTEGRITY, and no pair is created")
    func wrongPassword() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        let outcome = agent.handle(browser.check(useCandidate: true, transactionID: id, password: "not-the-password-xxxxx"),
                                   from: loopback, now: start)
        try expectRejection(outcome, code: 401, authenticated: false, transactionID: id)
        #expect(agent.pairs.isEmpty)
        #expect(agent.selectedRemote == nil)
        // The browser side sees an unauthenticated 401.
        let parsed = try ICEConnectivityCheck.parseBindingResponse(
            try #require(outcome.response), transactionID: id, password: browser.relayPassword)
        #expect(parsed == .failure(.unauthorized, authenticated: false))
    }

    @Test("USERNAME not matching the session → 401 (RFC 8489 §9.1.3)", arguments: [
        "XXXX:brws",   // wrong local ufrag
        "RLAY:other",  // wrong remote ufrag
        "RLAY",        // no separator
        "RLAY:",       // empty remote part
        "RLAYbrws",
        "RLAY:brws:x",
    ])
    func wrongUsername(username: String) throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        let outcome = agent.handle(browser.check(transactionID: id, username: username), from: loopback, now: start)
        try expectRejection(outcome, code: 401, authenticated: false, transactionID: id)
        #expect(agent.pairs.isEmpty)
    }

    @Test("Before the remote ufrag is known only the local half of USERNAME is checked")
    func remoteUfragLearnedLater() throws {
        var agent = makeAgent(remoteUfrag: nil)
        let early = agent.handle(browser.check(username: "RLAY:anything"), from: loopback, now: start)
        guard case .accepted = early else {
            Issue.record("early check rejected: \(early)")
            return
        }
        agent.setRemoteUfrag("brws")
        let id = STUNTransactionID.random()
        try expectRejection(agent.handle(browser.check(transactionID: id, username: "RLAY:anything"), from: loopback, now: start),
                            code: 401, authenticated: false, transactionID: id)
        guard case .accepted = agent.handle(browser.check(), from: loopback, now: start) else {
            Issue.record("matching check rejected")
            return
        }
    }

    @Test("Missing MESSAGE-INTEGRITY or USERNAME → 400")
    func missingCredentials() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()

        var noIntegrity = STUNMessageBuilder(type: .bindingRequest, transactionID: id)
        noIntegrity.append(.username("RLAY:brws"))
        noIntegrity.append(.iceControlling(tieBreaker: 1))
        try expectRejection(agent.handle(noIntegrity.finish(fingerprint: true), from: loopback, now: start),
                            code: 400, authenticated: false, transactionID: id)

        var noUsername = STUNMessageBuilder(type: .bindingRequest, transactionID: id)
        noUsername.append(.iceControlling(tieBreaker: 1))
        let bytes = noUsername.finish(integrity: STUNIntegrityKey(shortTermPassword: browser.relayPassword), fingerprint: true)
        try expectRejection(agent.handle(bytes, from: loopback, now: start),
                            code: 400, authenticated: false, transactionID: id)
        #expect(agent.pairs.isEmpty)
    }

    @Test("A request with a malformed attribute → 400")
    func malformedAttribute() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: id)
        [UInt8]([1, 2, 3]).withUnsafeBytes { builder.appendAttribute(type: .priority, value: $0) }
        try expectRejection(agent.handle(builder.finish(fingerprint: true), from: loopback, now: start),
                            code: 400, authenticated: false, transactionID: id)
    }

    @Test("Missing or wrong FINGERPRINT is dropped silently")
    func fingerprintFailuresDropped() {
        var agent = makeAgent()
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: .random())
        builder.append(.username("RLAY:brws"))
        builder.append(.iceControlling(tieBreaker: 1))
        let unfingerprinted = builder.finish(integrity: STUNIntegrityKey(shortTermPassword: browser.relayPassword),
                                             fingerprint: false)
        #expect(agent.handle(unfingerprinted, from: loopback, now: start) == .dropped(.missingFingerprint))

        var corrupted = browser.check(useCandidate: true)
        corrupted[corrupted.count - 1] ^= 0xFF
        #expect(agent.handle(corrupted, from: loopback, now: start) == .dropped(.badFingerprint))
        #expect(agent.pairs.isEmpty)
    }

    @Test("Indications, responses and non-STUN bytes are dropped")
    func nonRequestsDropped() {
        var agent = makeAgent()
        let indication = STUNMessageBuilder(type: .bindingIndication, transactionID: .random()).finish()
        #expect(agent.handle(indication, from: loopback, now: start) == .dropped(.indication))

        let response = STUNMessageBuilder(type: .bindingSuccess, transactionID: .random()).finish()
        #expect(agent.handle(response, from: loopback, now: start) == .dropped(.unexpectedResponse))

        let rtp: [UInt8] = [0x80, 0x60, 0x00, 0x01] + [UInt8](repeating: 0, count: 40)
        #expect(agent.handle(rtp, from: loopback, now: start) == .dropped(.notSTUN))
        #expect(agent.handle([], from: loopback, now: start) == .dropped(.notSTUN))
    }

    @Test("Truncated checks are never accepted and never trap")
    func truncatedChecks() {
        var agent = makeAgent()
        let check = browser.check(useCandidate: true)
        for length in 0..<check.count {
            let outcome = agent.handle(Array(check[..<length]), from: loopback, now: start)
            if case .accepted = outcome { Issue.record("truncated check of \(length) bytes accepted") }
        }
        #expect(agent.pairs.isEmpty)
    }

    @Test("Unknown comprehension-required attribute → authenticated 420 listing it")
    func unknownAttribute() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: id)
        builder.append(.username("RLAY:brws"))
        builder.append(.iceControlling(tieBreaker: 1))
        builder.append(.other(type: STUNAttributeType(rawValue: 0x7F01), value: [0, 0, 0, 0]))
        let request = builder.finish(integrity: STUNIntegrityKey(shortTermPassword: browser.relayPassword), fingerprint: true)
        let outcome = agent.handle(request, from: loopback, now: start)
        try expectRejection(outcome, code: 420, authenticated: true, transactionID: id)
        let response = try #require(outcome.response)
        let message = try STUNMessage(parsing: response)
        try response.withUnsafeBytes { raw in
            let attributes = try message.attributes(in: raw).map {
                try STUNAttribute(decoding: $0, in: raw, transactionID: id)
            }
            #expect(attributes.contains(.unknownAttributes([STUNAttributeType(rawValue: 0x7F01)])))
        }
    }

    @Test("A peer that also claims the controlled role gets an authenticated 487")
    func roleConflict() throws {
        var agent = makeAgent()
        let id = STUNTransactionID.random()
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: id)
        builder.append(.username("RLAY:brws"))
        builder.append(.iceControlled(tieBreaker: 99))
        builder.append(.useCandidate)
        let request = builder.finish(integrity: STUNIntegrityKey(shortTermPassword: browser.relayPassword), fingerprint: true)
        let outcome = agent.handle(request, from: loopback, now: start)
        try expectRejection(outcome, code: 487, authenticated: true, transactionID: id)
        #expect(agent.selectedRemote == nil)
        let parsed = try ICEConnectivityCheck.parseBindingResponse(
            try #require(outcome.response), transactionID: id, password: browser.relayPassword)
        #expect(parsed == .failure(.roleConflict, authenticated: true))
    }

    @Test("Consent expires after the configured period without checks (RFC 7675)")
    func consentTimeout() {
        var agent = makeAgent()
        _ = agent.handle(browser.check(useCandidate: true), from: loopback, now: start)
        #expect(agent.nextDeadline == start + .seconds(30))
        #expect(agent.poll(now: start + .seconds(29)) == nil)

        // A consent check (no USE-CANDIDATE) refreshes the timer.
        _ = agent.handle(browser.check(), from: loopback, now: start + .seconds(20))
        #expect(agent.nextDeadline == start + .seconds(50))
        #expect(agent.poll(now: start + .seconds(49)) == nil)
        #expect(agent.selectedRemote == loopback)

        #expect(agent.poll(now: start + .seconds(50)) == .consentExpired(remote: loopback))
        #expect(agent.selectedRemote == nil)
        #expect(agent.pairs.isEmpty)
        #expect(agent.poll(now: start + .seconds(60)) == nil)

        // The browser comes back and nominates again.
        guard case .accepted(_, let event) = agent.handle(browser.check(useCandidate: true), from: lan, now: start + .seconds(61))
        else {
            Issue.record("renomination after expiry not accepted")
            return
        }
        #expect(event == .pairSelected(remote: lan))
    }

    @Test("Consent timeout is configurable; unselected stale pairs are pruned silently")
    func customConsentTimeout() {
        var agent = makeAgent(consentTimeout: .seconds(5))
        _ = agent.handle(browser.check(useCandidate: true), from: loopback, now: start)
        _ = agent.handle(browser.check(), from: lan, now: start + .seconds(1))
        _ = agent.handle(browser.check(), from: loopback, now: start + .seconds(4))
        #expect(agent.poll(now: start + .seconds(6)) == nil) // lan pruned, selected still fresh
        #expect(agent.pairs.map(\.remote) == [loopback])
        #expect(agent.poll(now: start + .seconds(9)) == .consentExpired(remote: loopback))
    }

    @Test("Pair tracking is bounded; the selected pair is never evicted")
    func boundedPairs() {
        var agent = makeAgent(maximumPairs: 2)
        _ = agent.handle(browser.check(useCandidate: true), from: loopback, now: start)
        for port in UInt16(1)...5 {
            let source = TransportAddress(ipv4: 10, 0, 0, 1, port: port)
            _ = agent.handle(browser.check(), from: source, now: start + .seconds(Int64(port)))
        }
        #expect(agent.pairs.count == 2)
        #expect(agent.pairs.contains { $0.remote == loopback })
        #expect(agent.pairs.contains { $0.remote == TransportAddress(ipv4: 10, 0, 0, 1, port: 5) })
    }
}
