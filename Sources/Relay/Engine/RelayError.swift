/// Why a join was refused. The signaling layer maps each to an HTTP status.
public enum RelayError: Error, Sendable, Equatable {
    /// The offer is not SDP, or lacks what WebRTC requires (ICE credentials, fingerprint, rtcp-mux).
    case invalidOffer(String)
    /// The offer has no m-line the relay can use (Opus audio or VP8 video in the right direction).
    case noUsableMedia
    /// The room already holds its capacity of participants.
    case roomFull
    /// The room's session ended (completed or cancelled) while this join was on its way: nobody joins
    /// a closed room, even with a token signaling admitted a moment before.
    case roomClosed
    /// This user, or this room token, already has as many connections as the relay allows.
    case tooManyConnections(String)
    /// The relay worker holds as many participants or rooms as it is configured for.
    case relayFull(String)
    /// No participant with that id (a DELETE for someone already gone).
    case unknownParticipant
    /// The relay could not set up DTLS (an OpenSSL failure; not the client's fault).
    case internalFailure(String)
}
