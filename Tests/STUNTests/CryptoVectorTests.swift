import Crypto
import Testing

@testable import STUN

/// Known-answer tests for STUN's MACs and checksum as STUN keys and feeds them (swift-crypto's HMAC, zlib's
/// CRC-32): a key longer than a block, a message split in two, truncation.
@Suite struct CryptoVectorTests {
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

    @Test("HMAC-SHA256, RFC 4231 cases 1, 2, 6")
    func hmacSHA256Vectors() {
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

extension HashedAuthenticationCode {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
