import Testing
@testable import STUN

@Suite struct STUNMessageTests {
    let key = STUNIntegrityKey(shortTermPassword: "pass/word+123")
    let transactionID = STUNTransactionID(bytes: [UInt8](1...12))!

    private func buildRequest(username: String = "local:remote") -> [UInt8] {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.username(username))
        builder.append(.priority(0x6E7F_1EFF))
        builder.append(.iceControlling(tieBreaker: 0x0102_0304_0506_0708))
        builder.append(.useCandidate)
        return builder.finish(integrity: key, fingerprint: true)
    }

    @Test("Message type packs method and class per RFC 8489 §5")
    func messageTypeEncoding() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingIndication.rawValue == 0x0011)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        for raw in UInt16(0)...0x3FFF {
            #expect(STUNMessageType(rawValue: raw).rawValue == raw)
        }
        let allocate = STUNMessageType(rawValue: 0x0113) // TURN Allocate error response
        #expect(allocate.method.rawValue == 0x003 && allocate.messageClass == .errorResponse)
    }

    @Test("A message built by the serializer parses and verifies")
    func builtMessageVerifies() throws {
        let bytes = buildRequest()
        #expect(bytes.count % 4 == 0)
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == transactionID)
        #expect(message.priority == 0x6E7F_1EFF)
        #expect(message.iceControlling == 0x0102_0304_0506_0708)
        #expect(message.useCandidate)
        bytes.withUnsafeBytes { raw in
            #expect(message.username(in: raw) == "local:remote")
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(message.verifyFingerprint(in: raw))
            #expect(!message.verifyIntegrity(key: STUNIntegrityKey(shortTermPassword: "other"), in: raw))
        }
    }

    @Test("Flipping any single bit breaks integrity or fingerprint, or parsing")
    func tamperingIsDetected() {
        let bytes = buildRequest()
        for index in 0..<bytes.count {
            var tampered = bytes
            tampered[index] ^= 0x10
            guard let message = try? STUNMessage(parsing: tampered) else { continue }
            tampered.withUnsafeBytes { raw in
                let intact = message.verifyIntegrity(key: key, in: raw) && message.verifyFingerprint(in: raw)
                #expect(!intact, "bit flip at byte \(index) went unnoticed")
            }
        }
    }

    @Test("Tampering with the RFC 5769 request body fails MESSAGE-INTEGRITY even with a fixed-up FINGERPRINT")
    func tamperedRFCRequest() throws {
        var bytes = RFC5769.request
        bytes[45] ^= 0x01 // inside PRIORITY
        // Recompute FINGERPRINT so only the MAC can catch the change.
        let fpOffset = bytes.count - 8
        let crc = CRC32.checksum(Array(bytes[..<fpOffset])) ^ 0x5354_554E
        bytes.replaceSubrange(fpOffset + 4..<fpOffset + 8, with: withUnsafeBytes(of: crc.bigEndian, Array.init))
        let message = try STUNMessage(parsing: bytes)
        bytes.withUnsafeBytes { raw in
            #expect(message.verifyFingerprint(in: raw))
            #expect(!message.verifyIntegrity(key: STUNIntegrityKey(shortTermPassword: RFC5769.password), in: raw))
        }
    }

    @Test("Every truncation of a valid message is rejected without trapping")
    func truncation() {
        let bytes = buildRequest()
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            #expect(throws: STUNError.self) { try STUNMessage(parsing: prefix) }
        }
        // A header whose length field promises more than the datagram holds.
        var short = Array(bytes[..<24])
        short[2] = 0; short[3] = 8
        #expect(throws: STUNError.truncated) { try STUNMessage(parsing: short) }
    }

    @Test("Header validation: cookie, leading bits, length alignment, trailing bytes")
    func headerValidation() {
        let valid = buildRequest()
        var noCookie = valid; noCookie[4] = 0
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: noCookie) }
        var rtpLike = valid; rtpLike[0] = 0x80
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: rtpLike) }
        var unaligned = valid; unaligned[3] &+= 1
        #expect(throws: STUNError.invalidLength) { try STUNMessage(parsing: unaligned) }
        #expect(throws: STUNError.invalidLength) { try STUNMessage(parsing: valid + [0, 0, 0, 0]) }
        #expect(STUNMessage.peekHeader(valid.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[...]) })?.transactionID
                == transactionID)
    }

    @Test("Random garbage with a valid header never traps")
    func garbageAttributes() {
        var generator = SplitMix64(seed: 0x5354_554E)
        for _ in 0..<5_000 {
            let bodyLength = Int(generator.next() % 64) * 4
            var bytes: [UInt8] = [0x00, 0x01, UInt8(bodyLength >> 8), UInt8(bodyLength & 0xFF), 0x21, 0x12, 0xA4, 0x42]
            bytes += (0..<(12 + bodyLength)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Bias some attribute headers towards known types with random lengths.
            if bodyLength >= 4 {
                bytes[20] = 0; bytes[21] = [0x06, 0x08, 0x20, 0x24, 0x28][Int(generator.next() % 5)]
            }
            guard let message = try? STUNMessage(parsing: bytes) else { continue }
            bytes.withUnsafeBytes { raw in
                _ = message.username(in: raw)
                _ = message.xorMappedAddress(in: raw)
                _ = message.errorCode(in: raw)
                _ = message.verifyIntegrity(key: key, in: raw)
                _ = message.verifyFingerprint(in: raw)
                for attribute in message.attributes(in: raw) {
                    _ = try? STUNAttribute(decoding: attribute, in: raw, transactionID: message.transactionID)
                }
            }
        }
    }

    @Test("Fixed-size attributes with the wrong length are malformed")
    func wrongAttributeLengths() {
        for (type, length) in [(STUNAttributeType.priority, 3), (.useCandidate, 4), (.iceControlling, 4),
                               (.messageIntegrity, 16), (.fingerprint, 8), (.messageIntegritySHA256, 12)] {
            var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
            [UInt8](repeating: 7, count: length).withUnsafeBytes { builder.appendAttribute(type: type, value: $0) }
            let bytes = builder.finish(fingerprint: false)
            #expect(throws: STUNError.malformedAttribute(type)) { try STUNMessage(parsing: bytes) }
        }
    }

    @Test("FINGERPRINT must be last (RFC 8489 §14.7)")
    func fingerprintLast() throws {
        var bytes = buildRequest()
        bytes += [0x80, 0x22, 0x00, 0x00] // SOFTWARE after FINGERPRINT
        bytes[3] &+= 4
        #expect(throws: STUNError.attributeAfterFingerprint) { try STUNMessage(parsing: bytes) }
    }

    @Test("Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored (RFC 8489 §14.5)")
    func attributesAfterIntegrityIgnored() throws {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.username("a:b"))
        var bytes = builder.finish(integrity: key, fingerprint: false)
        bytes += [0x00, 0x24, 0x00, 0x04, 0, 0, 0, 9] // PRIORITY after MESSAGE-INTEGRITY
        bytes[3] &+= 8
        let message = try STUNMessage(parsing: bytes)
        #expect(message.priority == nil)
        bytes.withUnsafeBytes { #expect(message.verifyIntegrity(key: key, in: $0)) }
    }

    @Test("Duplicate attributes: the first occurrence wins (RFC 8489 §14)")
    func firstOccurrenceWins() throws {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.username("first:one"))
        builder.append(.username("second:two"))
        builder.append(.priority(1))
        builder.append(.priority(2))
        let bytes = builder.finish()
        let message = try STUNMessage(parsing: bytes)
        #expect(message.priority == 1)
        bytes.withUnsafeBytes { #expect(message.username(in: $0) == "first:one") }
    }

    @Test("Unknown attributes are skipped with their padding, counted, and round-trip as .other")
    func unknownAttributes() throws {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.other(type: STUNAttributeType(rawValue: 0x7777), value: [1, 2, 3])) // comprehension-required
        builder.append(.other(type: STUNAttributeType(rawValue: 0xC001), value: [4, 5, 6, 7, 8])) // optional
        builder.append(.priority(42))
        let bytes = builder.finish(integrity: key)
        let message = try STUNMessage(parsing: bytes)
        #expect(message.priority == 42)
        #expect(message.unknownComprehensionRequiredCount == 1)
        try bytes.withUnsafeBytes { raw in
            #expect(message.unknownComprehensionRequired(in: raw) == [STUNAttributeType(rawValue: 0x7777)])
            let decoded = try message.attributes(in: raw).map {
                try STUNAttribute(decoding: $0, in: raw, transactionID: message.transactionID)
            }
            #expect(decoded.prefix(3) == [
                .other(type: STUNAttributeType(rawValue: 0x7777), value: [1, 2, 3]),
                .other(type: STUNAttributeType(rawValue: 0xC001), value: [4, 5, 6, 7, 8]),
                .priority(42),
            ])
        }
    }

    @Test("ERROR-CODE, UNKNOWN-ATTRIBUTES, MAPPED-ADDRESS and SOFTWARE round-trip")
    func errorResponseRoundTrip() throws {
        let v6 = TransportAddress(ip: "2001:db8::42", port: 3478)!
        var builder = STUNMessageBuilder(type: .bindingError, transactionID: transactionID)
        builder.append(.errorCode(.unknownAttribute))
        builder.append(.unknownAttributes([STUNAttributeType(rawValue: 0x7777)]))
        builder.append(.mappedAddress(v6))
        builder.append(.software("peerlearn-relay"))
        let bytes = builder.finish()
        let message = try STUNMessage(parsing: bytes)
        try bytes.withUnsafeBytes { raw in
            #expect(message.errorCode(in: raw) == STUNErrorCode(code: 420, reason: "Unknown Attribute"))
            #expect(message.mappedAddress(in: raw) == v6)
            #expect(message.software(in: raw) == "peerlearn-relay")
            let decoded = try message.attributes(in: raw).map {
                try STUNAttribute(decoding: $0, in: raw, transactionID: message.transactionID)
            }
            #expect(decoded.contains(.unknownAttributes([STUNAttributeType(rawValue: 0x7777)])))
        }
    }

    @Test("XOR-MAPPED-ADDRESS round-trips for IPv4 and IPv6", arguments: [
        TransportAddress(ipv4: 10, 1, 2, 3, port: 1),
        TransportAddress(ip: "::1", port: 65535)!,
        TransportAddress(ip: "fe80::1234:5678:9abc:def0", port: 50000)!,
    ])
    func xorMappedRoundTrip(address: TransportAddress) throws {
        var builder = STUNMessageBuilder(type: .bindingSuccess, transactionID: .random())
        builder.append(.xorMappedAddress(address))
        let bytes = builder.finish(integrity: key)
        let message = try STUNMessage(parsing: bytes)
        bytes.withUnsafeBytes { #expect(message.xorMappedAddress(in: $0) == address) }
    }

    @Test("MESSAGE-INTEGRITY-SHA256 is produced and verified alongside MESSAGE-INTEGRITY")
    func integritySHA256() throws {
        var builder = STUNMessageBuilder(type: .bindingRequest, transactionID: transactionID)
        builder.append(.username("a:b"))
        var bytes = builder.finish(integrity: key, integritySHA256: true, fingerprint: true)
        var message = try STUNMessage(parsing: bytes)
        #expect(message.messageIntegritySHA256?.length == 32)
        bytes.withUnsafeBytes { raw in
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(message.verifyIntegritySHA256(key: key, in: raw))
            #expect(message.verifyFingerprint(in: raw))
        }
        // Flip a byte of the SHA-256 MAC: only that check fails.
        let offset = try #require(message.messageIntegritySHA256).valueOffset
        bytes[offset] ^= 1
        message = try STUNMessage(parsing: bytes)
        bytes.withUnsafeBytes { raw in
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(!message.verifyIntegritySHA256(key: key, in: raw))
        }
    }

    @Test("Transaction IDs are 12 network-order bytes")
    func transactionIDBytes() {
        let id = STUNTransactionID(bytes: [UInt8](hex: "b7e7a701 bc34d686 fa87dfae"))!
        #expect(id.high == 0xB7E7_A701 && id.low == 0xBC34_D686_FA87_DFAE)
        #expect(id.bytes == [UInt8](hex: "b7e7a701 bc34d686 fa87dfae"))
        #expect(STUNTransactionID(bytes: [1, 2, 3]) == nil)
        var generator = SplitMix64(seed: 1)
        #expect(STUNTransactionID.random(using: &generator) != STUNTransactionID.random(using: &generator))
    }
}

/// Deterministic generator so fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
