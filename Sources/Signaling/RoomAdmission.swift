import RoomToken

/// The checks a room token alone cannot make: is the session still joinable, and how many fit.
/// In `peerlearn serve` the control plane's database answers; a standalone relay trusts the token
/// (short-lived, issued only while the session is joinable) and its configured capacity.
public protocol RoomAdmission: Sendable {
    /// Returns the room's capacity (nil: the relay's default), or throws why the room can't be entered.
    func admit(_ claims: RoomClaims) async throws(AdmissionRefusal) -> Int?
}

public enum AdmissionRefusal: Error, Sendable, Equatable {
    /// The session is not scheduled/active any more (completed or cancelled).
    case notJoinable(String)
    /// The token's user may no longer enter (e.g. the booking was cancelled).
    case forbidden(String)
}

/// Admission by token alone.
public struct TokenOnlyAdmission: RoomAdmission {
    public init() {}

    public func admit(_ claims: RoomClaims) async throws(AdmissionRefusal) -> Int? { nil }
}

/// A room's edge, when its tracks are published on another relay node: before a viewer joins here, the
/// node pipes the watched user's tracks (nil: the host's) from the room's origin, if it has not yet.
/// Implemented where the node registry is (`peerlearn relay` with a shared database).
public protocol RoomCascade: Sendable {
    func prepare(roomID: String, watching userID: String?) async throws
}
