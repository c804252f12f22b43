import JWTKit

/// The HMAC-SHA256 key collection shared by the issuer (control plane) and the verifier (relay).
enum RoomTokenKeys {
    /// RFC 7518 §3.2: the HS256 key must be at least 256 bits.
    static let minimumKeyLength = 32

    static func make(secret: [UInt8]) async throws(RoomTokenError) -> JWTKeyCollection {
        guard secret.count >= minimumKeyLength else { throw .keyTooShort }
        return await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }
}
