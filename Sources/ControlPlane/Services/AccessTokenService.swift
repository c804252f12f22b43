import Foundation
import JWTKit

/// Issues and verifies the API's bearer tokens (HS256, RFC 7519), which expire after a configured lifetime.
struct AccessTokenService: Sendable {
    private let keys: JWTKeyCollection
    let lifetime: TimeInterval

    init(secret: [UInt8], lifetime: TimeInterval) async {
        self.keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.lifetime = lifetime
    }

    struct IssuedToken: Sendable {
        var token: String
        var expiresAt: Date
    }

    func issue(userID: Int64, role: UserRole, now: Date) async throws -> IssuedToken {
        let expiresAt = now.addingTimeInterval(lifetime)
        let claims = AccessClaims(
            subject: SubjectClaim(value: String(userID)), role: role,
            issuedAt: IssuedAtClaim(value: now), expiration: ExpirationClaim(value: expiresAt),
            audience: AudienceClaim(value: [AccessClaims.apiAudience]))
        return IssuedToken(token: try await keys.sign(claims), expiresAt: expiresAt)
    }

    /// The caller named by a valid token, or nil for a forged, expired or foreign token.
    func verify(_ token: String) async -> AuthenticatedUser? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self),
              let id = Int64(claims.subject.value) else { return nil }
        return AuthenticatedUser(id: id, role: claims.role)
    }
}
