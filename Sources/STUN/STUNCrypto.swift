import CZlib
import Crypto

/// STUN's MACs and checksum, from the libraries everyone else trusts rather than written here: HMAC-SHA1
/// and HMAC-SHA256 from swift-crypto (BoringSSL underneath), CRC-32 from zlib (neither swift-crypto nor
/// OpenSSL has it, and zlib's is the reference implementation, vectorised).

/// An HMAC keyed once per credential: an ICE agent checks every connectivity check with the same
/// password, so the key's padded blocks are hashed once and each message starts from a copy of that state.
struct KeyedMAC<Hash: HashFunction>: Sendable {
    private let keyed: HMAC<Hash>

    init(key: [UInt8]) {
        keyed = HMAC<Hash>(key: SymmetricKey(data: key))
    }

    /// The MAC over `first` followed by `second`: STUN authenticates a patched header and then the body.
    func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = .init(start: nil, count: 0))
        -> HashedAuthenticationCode<Hash>
    {
        var mac = keyed
        mac.update(data: first)
        if !second.isEmpty { mac.update(data: second) }
        return mac.finalize()
    }
}

typealias HMACSHA1 = KeyedMAC<Insecure.SHA1>
typealias HMACSHA256 = KeyedMAC<SHA256>

/// Digest sizes the wire format fixes.
enum STUNDigestSize {
    static let sha1 = Insecure.SHA1Digest.byteCount
    static let sha256 = SHA256Digest.byteCount
}

/// CRC-32 (ISO-HDLC / IEEE 802.3), the checksum FINGERPRINT is built on (RFC 8489 §14.7).
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return UInt32(truncatingIfNeeded: crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
