import Testing
@testable import SRTP

/// Reference packets published with libsrtp (test/srtp_driver.c, `srtp_validate` and
/// `srtp_validate_gcm`). The AES-CM master key and salt are those of RFC 3711 Appendix B.3.
enum LibsrtpVectors {
    static let cmKey: [UInt8] = hex("e1f97a0d3e018be0d64fa32c06de4139")
    static let cmSalt: [UInt8] = hex("0ec675ad498afeebb6960b3aabe6")
    static let gcmKey: [UInt8] = hex("000102030405060708090a0b0c0d0e0f")
    static let gcmSalt: [UInt8] = hex("a0a1a2a3a4a5a6a7a8a9aaab")

    static let rtpPlaintext: [UInt8] = hex("800f1234decafbadcafebabe") + [UInt8](repeating: 0xab, count: 16)
    static let rtcpPlaintext: [UInt8] = hex("81c8000bcafebabe") + [UInt8](repeating: 0xab, count: 16)

    static let cmSRTP: [UInt8] = hex(
        "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb")
    static let cmSRTCP: [UInt8] = hex(
        "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798")
    static let gcmSRTP: [UInt8] = hex(
        "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392")
    static let gcmSRTCP: [UInt8] = hex(
        "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001")
}

func hex(_ string: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = string.utf8.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
    }
    return bytes
}

struct SRTPKnownAnswerTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let profile: SRTPProfile
        let key: [UInt8], salt: [UInt8]
        let srtp: [UInt8], srtcp: [UInt8]
        var testDescription: String { profile.description }
    }

    static let vectors = [
        Vector(profile: .aes128CmHmacSha1_80, key: LibsrtpVectors.cmKey, salt: LibsrtpVectors.cmSalt,
               srtp: LibsrtpVectors.cmSRTP, srtcp: LibsrtpVectors.cmSRTCP),
        Vector(profile: .aeadAes128Gcm, key: LibsrtpVectors.gcmKey, salt: LibsrtpVectors.gcmSalt,
               srtp: LibsrtpVectors.gcmSRTP, srtcp: LibsrtpVectors.gcmSRTCP),
    ]

    @Test(arguments: vectors)
    func protectMatchesReference(vector: Vector) throws {
        let sender = try SRTPContext(profile: vector.profile, direction: .outbound,
                                     masterKey: vector.key, masterSalt: vector.salt)
        var rtp = LibsrtpVectors.rtpPlaintext
        try sender.protectRTP(&rtp)
        #expect(rtp == vector.srtp)

        var rtcp = LibsrtpVectors.rtcpPlaintext
        try sender.protectRTCP(&rtcp)
        #expect(rtcp == vector.srtcp)
    }

    @Test(arguments: vectors)
    func unprotectRecoversReference(vector: Vector) throws {
        let receiver = try SRTPContext(profile: vector.profile, direction: .inbound,
                                       masterKey: vector.key, masterSalt: vector.salt)
        var rtp = vector.srtp
        try receiver.unprotectRTP(&rtp)
        #expect(rtp == LibsrtpVectors.rtpPlaintext)

        var rtcp = vector.srtcp
        try receiver.unprotectRTCP(&rtcp)
        #expect(rtcp == LibsrtpVectors.rtcpPlaintext)
    }

    @Test(arguments: vectors)
    func protectedSizesMatchProfileOverhead(vector: Vector) {
        #expect(vector.srtp.count == LibsrtpVectors.rtpPlaintext.count + vector.profile.rtpOverhead)
        #expect(vector.srtcp.count == LibsrtpVectors.rtcpPlaintext.count + vector.profile.rtcpOverhead)
    }
}
