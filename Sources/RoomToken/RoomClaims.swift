import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claims of a room token: everything the relay needs to admit a peer without asking the database.
///
/// Short claim names keep the token small because it travels in the signaling handshake.
public struct RoomClaims: JWTPayload, Equatable {
    /// The audience every room token names; an API access token (another audience) is refused.
    public static let relayAudience = "peerlearn-relay"

    /// The user id (the control plane's `users.id`).
    public var subject: SubjectClaim
    /// The session id (`sessions.id`, a UUID string).
    public var sessionID: String
    /// The WebRTC room (`sessions.meeting_room_id`).
    public var roomID: String
    public var role: RoomRole
    public var issuedAt: IssuedAtClaim
    public var expiration: ExpirationClaim
    public var audience: AudienceClaim
    /// A unique token id, so the relay can log and refuse replays if it wants to.
    public var tokenID: IDClaim

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case sessionID = "sid"
        case roomID = "room"
        case role
        case issuedAt = "iat"
        case expiration = "exp"
        case audience = "aud"
        case tokenID = "jti"
    }

    public init(userID: Int64, sessionID: String, roomID: String, role: RoomRole, issuedAt: Date, expiresAt: Date, tokenID: String) {
        self.subject = SubjectClaim(value: String(userID))
        self.sessionID = sessionID
        self.roomID = roomID
        self.role = role
        // Whole seconds: RFC 7519 §2 NumericDate, and exact through a sign/verify round trip.
        self.issuedAt = IssuedAtClaim(value: Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down)))
        self.expiration = ExpirationClaim(value: Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
        self.audience = AudienceClaim(value: [Self.relayAudience])
        self.tokenID = IDClaim(value: tokenID)
    }

    /// A relay node's credential for one room's cascade pipe (WHEP at the room's origin), short-lived.
    public static func relay(nodeID: String, roomID: String, issuedAt: Date = Date(), lifetime: TimeInterval = 120) -> RoomClaims {
        var claims = RoomClaims(
            userID: 0, sessionID: roomID, roomID: roomID, role: .relay, issuedAt: issuedAt,
            expiresAt: issuedAt.addingTimeInterval(lifetime), tokenID: "relay-\(nodeID)-\(UInt64.random(in: 0...UInt64.max))")
        claims.subject = SubjectClaim(value: "relay:\(nodeID)")
        return claims
    }

    /// The user id as a number, or nil if the subject is not one.
    public var userID: Int64? { Int64(subject.value) }

    /// Called by JWTKit after the signature checks out: refuses expired tokens and tokens meant for another audience.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
        try audience.verifyIntendedAudience(includes: Self.relayAudience)
    }
}
