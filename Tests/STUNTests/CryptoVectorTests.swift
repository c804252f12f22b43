import Testing
@testable import STUN

/// Known-answer tests for the internal hash, MAC and checksum implementations.
@Suite struct CryptoVectorTests {
    private func sha1(_ bytes: [UInt8]) -> String {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalize().bytes.hex
    }

    @Test("SHA-1, RFC 3174 §7.3 test cases")
    func sha1Vectors() {
        #expect(sha1(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(sha1(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(sha1([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        let test4 = [UInt8]((0..<80).flatMap { _ in "01234567".utf8 })
        #expect(sha1(test4) == "dea356a2cddd90c7a7ecedc5ebb563934f460452")
        #expect(sha1([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test("SHA-1 gives the same digest however the input is split", arguments: [1, 3, 55, 56, 63, 64, 65, 127])
    func sha1Chunking(chunk: Int) {
        let input = [UInt8]((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var hasher = SHA1()
        var start = 0
        while start < input.count {
            let end = min(start + chunk, input.count)
            hasher.update(Array(input[start..<end]))
            start = end
        }
        #expect(hasher.finalize().bytes.hex == sha1(input))
    }

    @Test("HMAC-SHA1, RFC 2202 §3 test cases 1–7", arguments: [
        ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        ([UInt8](1...25), [UInt8](repeating: 0xCD, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        ([UInt8](repeating: 0x0C, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        ([UInt8](repeating: 0xAA, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        ([UInt8](repeating: 0xAA, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ])
    func hmacSHA1(key: [UInt8], data: [UInt8], expected: String) {
        let mac = data.withUnsafeBytes { HMACSHA1(key: key).authenticate($0) }
        #expect(mac.bytes.hex == expected)
    }

    @Test("HMAC-SHA1 over two parts equals HMAC over their concatenation")
    func hmacTwoParts() {
        let key = HMACSHA1(key: Array("key".utf8))
        let a: [UInt8] = [1, 2, 3, 4], b = [UInt8](repeating: 9, count: 70)
        let split = a.withUnsafeBytes { a in b.withUnsafeBytes { b in key.authenticate(a, b) } }
        let whole = (a + b).withUnsafeBytes { key.authenticate($0) }
        #expect(split == whole)
    }

    @Test("SHA-256 (FIPS 180-4 \"abc\") and HMAC-SHA256 (RFC 4231 cases 1, 2, 6)")
    func sha256Vectors() {
        var hasher = SHA256()
        Array("abc".utf8).withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize().bytes.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

        func hmac(_ key: [UInt8], _ data: String) -> String {
            Array(data.utf8).withUnsafeBytes { HMACSHA256(key: key).authenticate($0) }.bytes.hex
        }
        #expect(hmac([UInt8](repeating: 0x0B, count: 20), "Hi There")
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hmac(Array("Jefe".utf8), "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hmac([UInt8](repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First")
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("CRC-32 check value: \"123456789\" → 0xCBF43926")
    func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }
}
