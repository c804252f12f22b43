/// What the engine tells the outside world: the control plane turns these into attendance rows and
/// persisted statistics.
public enum RelayEvent: Sendable, Equatable {
    /// DTLS completed: media can flow. This is the moment a participant has joined the room.
    case joined(ParticipantIdentity)
    /// A periodic snapshot, so a crash loses at most one interval of statistics.
    case statistics(ParticipantIdentity, ParticipantStatistics)
    /// The participant left: a DELETE, ICE consent expiry, DTLS failure or close, or shutdown.
    case left(ParticipantIdentity, ParticipantStatistics, LeaveReason)
}

public enum LeaveReason: String, Sendable, Equatable {
    case requested
    case consentExpired = "consent_expired"
    case connectFailed = "connect_failed"
    case closedByPeer = "closed_by_peer"
    case shutdown
    /// The room's session was completed or cancelled (`RelayEngine.closeRoom`).
    case sessionEnded = "session_ended"
}
