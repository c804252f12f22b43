/// The key for MESSAGE-INTEGRITY, with its HMAC pads precomputed once per credential.
///
/// ICE uses the short-term mechanism (RFC 8489 §9.1.1): key = OpaqueString(password). ICE passwords
/// are restricted to ice-chars (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/"), for which the PRECIS
/// OpaqueString profile is the identity, so the UTF-8 bytes are used directly.
public struct STUNIntegrityKey: Sendable, Equatable {
    let hmac: HMACSHA1
    let hmacSHA256: HMACSHA256
    private let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        hmac = HMACSHA1(key: bytes)
        hmacSHA256 = HMACSHA256(key: bytes)
        self.bytes = bytes
    }

    /// Two keys are equal when their passwords are (the keyed MACs follow from them).
    public static func == (lhs: STUNIntegrityKey, rhs: STUNIntegrityKey) -> Bool { lhs.bytes == rhs.bytes }

    public init(shortTermPassword password: String) {
        self.init(bytes: Array(password.utf8))
    }
}
