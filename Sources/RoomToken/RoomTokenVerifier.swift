import JWTKit

/// Verifies room tokens with the shared key alone, so the relay admits peers without a database call.
public struct RoomTokenVerifier: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: [UInt8]) async throws(RoomTokenError) {
        self.keys = try await RoomTokenKeys.make(secret: secret)
    }

    /// Checks signature, expiry and audience; returns the claims.
    public func verify(_ token: String) async throws(RoomTokenError) -> RoomClaims {
        do {
            return try await keys.verify(token, as: RoomClaims.self)
        } catch {
            throw .invalidToken(String(describing: error))
        }
    }

    /// As `verify(_:)`, and also requires the token to name `roomID`.
    public func verify(_ token: String, forRoom roomID: String) async throws(RoomTokenError) -> RoomClaims {
        let claims = try await verify(token)
        guard claims.roomID == roomID else { throw .wrongRoom }
        return claims
    }
}
