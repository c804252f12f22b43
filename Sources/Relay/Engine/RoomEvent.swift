/// What happens inside a room that its members' signaling must hear about, apart from attendance: the
/// room socket turns these into messages. Kept apart from `RelayEvent`, whose consumer is the ledger.
public enum RoomEvent: Sendable, Equatable {
    /// The room's dominant speaker changed (RFC 6464 audio levels, with hysteresis); nil when nobody is.
    case dominantSpeaker(roomID: String, userID: String?)
    /// The relay itself ended a connection (ICE consent lapsed, DTLS failed or the peer closed it), so
    /// whoever signaled it must learn: its tracks are gone and the member should reconnect it. Ends asked
    /// for by signaling (a leave, a closed room, shutdown) are not reported back.
    case connectionEnded(roomID: String, participantID: String, reason: LeaveReason)
    /// Dynacast: which of a simulcast track's layers (by rid) anyone watches. A layer nobody has wanted
    /// for two seconds is `false`, and `true` again as soon as someone does; signaling tells the publisher
    /// to pause or resume those encodings (`RTCRtpSender.setParameters`), saving its uplink. Sent on change.
    case layersWanted(roomID: String, participantID: String, mid: String, active: [String: Bool])
}
