import Testing
@testable import STUN

/// RFC 5769 "Test Vectors for STUN", transcribed from the RFC's hex dumps.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = STUNTransactionID(bytes: [UInt8](hex: "b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"))!

    /// §2.1 Sample Request. USERNAME "evtj:h6vY" is padded with three spaces (0x20).
    static let request = [UInt8](hex: """
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    /// §2.2 Sample IPv4 Response. SOFTWARE "test vector" is padded with one space.
    static let ipv4Response = [UInt8](hex: """
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    /// §2.3 Sample IPv6 Response.
    static let ipv6Response = [UInt8](hex: """
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    /// §2.4 Sample Request with Long-Term Authentication (no FINGERPRINT).
    static let longTermRequest = [UInt8](hex: """
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
        """)
}

@Suite struct RFC5769Tests {
    let key = STUNIntegrityKey(shortTermPassword: RFC5769.password)

    @Test("§2.1 sample request: fields, MESSAGE-INTEGRITY, FINGERPRINT")
    func sampleRequest() throws {
        let bytes = RFC5769.request
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == RFC5769.transactionID)
        #expect(message.priority == 0x6E00_01FF)
        #expect(message.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(message.iceControlling == nil)
        #expect(!message.useCandidate)
        #expect(message.unknownComprehensionRequiredCount == 0)
        bytes.withUnsafeBytes { raw in
            #expect(message.username(in: raw) == "evtj:h6vY")
            #expect(message.software(in: raw) == "STUN test client")
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(message.verifyFingerprint(in: raw))
        }
    }

    @Test("§2.2 sample IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853")
    func sampleIPv4Response() throws {
        let bytes = RFC5769.ipv4Response
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == .bindingSuccess)
        #expect(message.transactionID == RFC5769.transactionID)
        bytes.withUnsafeBytes { raw in
            #expect(message.xorMappedAddress(in: raw) == TransportAddress(ipv4: 192, 0, 2, 1, port: 32853))
            #expect(message.software(in: raw) == "test vector")
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(message.verifyFingerprint(in: raw))
        }
    }

    @Test("§2.3 sample IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853")
    func sampleIPv6Response() throws {
        let bytes = RFC5769.ipv6Response
        let message = try STUNMessage(parsing: bytes)
        let expected = TransportAddress(addressBytes: [UInt8](hex: "20010db8 12345678 00112233 44556677"), port: 32853)
        bytes.withUnsafeBytes { raw in
            let address = message.xorMappedAddress(in: raw)
            #expect(address == expected)
            #expect(address?.description == "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
            #expect(message.verifyIntegrity(key: key, in: raw))
            #expect(message.verifyFingerprint(in: raw))
        }
    }

    @Test("§2.4 long-term request parses; its MAC verifies when given the MD5 long-term key")
    func longTermRequest() throws {
        let bytes = RFC5769.longTermRequest
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == .bindingRequest)
        #expect(message.fingerprint == nil)
        // Long-term key = MD5("マトリックス:example.org:TheMatrIX") (RFC 8489 §9.2.2, password after
        // SASLprep). This module has no MD5, so the key is supplied precomputed.
        let longTermKey = STUNIntegrityKey(bytes: [UInt8](hex: "e8ca7ad59d5eb0518e312911d2dab2a9"))
        try bytes.withUnsafeBytes { raw in
            #expect(message.username(in: raw) == "マトリックス")
            #expect(!message.verifyFingerprint(in: raw))
            #expect(message.verifyIntegrity(key: longTermKey, in: raw))
            #expect(!message.verifyIntegrity(key: key, in: raw))
            let attributes = try message.attributes(in: raw).map {
                try STUNAttribute(decoding: $0, in: raw, transactionID: message.transactionID)
            }
            #expect(attributes.contains(.other(type: .realm, value: Array("example.org".utf8))))
            #expect(attributes.contains(.other(type: .nonce, value: Array("f//499k954d6OL34oL9FSTvy64sA".utf8))))
        }
    }

    /// Decodes every attribute and re-encodes them, letting the builder compute the MACs afresh.
    private func reserialize(_ bytes: [UInt8], paddingByte: UInt8) throws -> [UInt8] {
        let message = try STUNMessage(parsing: bytes)
        var builder = STUNMessageBuilder(type: message.type, transactionID: message.transactionID)
        builder.paddingByte = paddingByte
        try bytes.withUnsafeBytes { raw in
            for attribute in message.attributes(in: raw)
            where attribute.type != .messageIntegrity && attribute.type != .fingerprint {
                builder.append(try STUNAttribute(decoding: attribute, in: raw, transactionID: message.transactionID))
            }
        }
        return builder.finish(integrity: key, fingerprint: true)
    }

    static let vectors = [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response]

    /// RFC 5389 let senders pad with anything and the vectors pad with spaces; with that padding our
    /// encoder, HMAC and CRC must reproduce every byte, MACs included.
    @Test("§2.1–2.3 re-serialize byte-identically when padded with spaces like the RFC", arguments: vectors)
    func byteIdenticalWithRFCPadding(vector: [UInt8]) throws {
        #expect(try reserialize(vector, paddingByte: 0x20) == vector)
    }

    /// RFC 8489 §14 requires zero padding. Then only the padding bytes and the two MAC values that
    /// cover them may differ from the vector, and the result must still verify.
    @Test("§2.1–2.3 re-serialized with zero padding differ only in padding and MACs", arguments: vectors)
    func zeroPaddingDiffersOnlyWherePaddingIsCovered(vector: [UInt8]) throws {
        let ours = try reserialize(vector, paddingByte: 0)
        try #require(ours.count == vector.count)
        let original = try STUNMessage(parsing: vector)
        var allowed = Set<Int>()
        vector.withUnsafeBytes { raw in
            for attribute in original.attributes(in: raw) {
                allowed.formUnion(attribute.valueOffset + attribute.length..<attribute.endOffset)
            }
        }
        let mi = try #require(original.messageIntegrity), fp = try #require(original.fingerprint)
        allowed.formUnion(mi.valueOffset..<mi.endOffset)
        allowed.formUnion(fp.valueOffset..<fp.endOffset)
        for index in vector.indices where !allowed.contains(index) {
            #expect(ours[index] == vector[index], "byte \(index) differs")
        }
        let reparsed = try STUNMessage(parsing: ours)
        ours.withUnsafeBytes { raw in
            #expect(reparsed.verifyIntegrity(key: key, in: raw))
            #expect(reparsed.verifyFingerprint(in: raw))
            for attribute in reparsed.attributes(in: raw) {
                for index in attribute.valueOffset + attribute.length..<attribute.endOffset {
                    #expect(raw[index] == 0)
                }
            }
        }
    }
}
