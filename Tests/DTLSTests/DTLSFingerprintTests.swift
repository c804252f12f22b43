import Testing
import DTLS

struct DTLSFingerprintTests {
    /// The example attribute of RFC 4572 §5 (carried over by RFC 8122).
    @Test func parsesRFCExample() throws {
        let fingerprint = try #require(DTLSFingerprint(sdpValue: "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"))
        #expect(fingerprint.algorithm == .sha1)
        #expect(fingerprint.digest == [0x4A, 0xAD, 0xB9, 0xB1, 0x3F, 0x82, 0x18, 0x3B, 0x54, 0x02,
                                       0x12, 0xDF, 0x3E, 0x5D, 0x49, 0x6B, 0x19, 0xE5, 0x7C, 0xAB])
        #expect(fingerprint.sdpValue == "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")
    }

    @Test func formatsAndReparsesSHA256() throws {
        let digest = (0..<32).map { UInt8($0 * 8 + 3) }
        let fingerprint = try #require(DTLSFingerprint(algorithm: .sha256, digest: digest))
        let text = fingerprint.sdpValue
        #expect(text.hasPrefix("sha-256 03:0B:13:1B:"))
        #expect(text.count == "sha-256 ".count + 32 * 3 - 1)
        #expect(DTLSFingerprint(sdpValue: text) == fingerprint)
        #expect(DTLSFingerprint(sdpValue: "  " + text.lowercased() + " \r\n") == fingerprint)
    }

    @Test(arguments: [
        "",
        "sha-256",
        "sha-256 ",
        "md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B",
        "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C",       // too short
        "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:01", // too long
        "sha-1 4AAD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
        "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AG",
        "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:A",
        "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:",
    ])
    func rejectsMalformedValues(value: String) {
        #expect(DTLSFingerprint(sdpValue: value) == nil)
    }

    @Test func equalityComparesAlgorithmAndEveryByte() throws {
        let digest = [UInt8](repeating: 0xAA, count: 32)
        let base = try #require(DTLSFingerprint(algorithm: .sha256, digest: digest))
        for index in digest.indices {
            var other = digest
            other[index] ^= 0x01
            #expect(DTLSFingerprint(algorithm: .sha256, digest: other) != base)
        }
        #expect(DTLSFingerprint(algorithm: .sha256, digest: digest) == base)
        #expect(DTLSFingerprint(algorithm: .sha1, digest: Array(digest.prefix(20))) != base)
        #expect(DTLSFingerprint(algorithm: .sha256, digest: Array(digest.prefix(20))) == nil)
    }
}

struct DTLSCertificateTests {
    @Test func fingerprintIsSHA256InSDPForm() throws {
        let certificate = TestCertificates.server
        #expect(certificate.commonName == "PeerLearn")
        #expect(certificate.fingerprint.algorithm == .sha256)
        let text = certificate.fingerprint.sdpValue
        #expect(text.hasPrefix("sha-256 "))
        let pairs = text.dropFirst("sha-256 ".count).split(separator: ":")
        #expect(pairs.count == 32)
        #expect(pairs.allSatisfy { $0.count == 2 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
        #expect(DTLSFingerprint(sdpValue: text) == certificate.fingerprint)
    }

    @Test func derCarriesTheCommonNameAndCertificatesAreDistinct() throws {
        let der = TestCertificates.server.derEncoded
        #expect(der.first == 0x30) // An ASN.1 SEQUENCE, as every X.509 certificate.
        let name = Array("PeerLearn".utf8)
        #expect(der.indices.contains { der[$0...].starts(with: name) })
        #expect(TestCertificates.server.fingerprint != TestCertificates.client.fingerprint)
        #expect(TestCertificates.server.derEncoded != TestCertificates.client.derEncoded)
    }

    @Test func rejectsNonPositiveValidity() {
        #expect(throws: DTLSError.self) { _ = try DTLSCertificate(validity: .zero) }
    }
}
