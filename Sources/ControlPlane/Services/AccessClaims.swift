import Foundation
import JWTKit

/// Claims of an API access token. A different audience from room tokens, so neither is accepted as the other.
struct AccessClaims: JWTPayload, Equatable {
    static let apiAudience = "peerlearn-api"

    var subject: SubjectClaim
    var role: UserRole
    var issuedAt: IssuedAtClaim
    var expiration: ExpirationClaim
    var audience: AudienceClaim

    enum CodingKeys: String, CodingKey {
        case subject = "sub", role, issuedAt = "iat", expiration = "exp", audience = "aud"
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
        try audience.verifyIntendedAudience(includes: Self.apiAudience)
    }
}
