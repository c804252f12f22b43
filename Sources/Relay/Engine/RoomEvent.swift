/// What happens inside a room that its members' signaling must hear about, apart from attendance: the
/// room socket turns these into messages. Kept apart from `RelayEvent`, whose consumer is the ledger.
public enum RoomEvent: Sendable, Equatable {
    /// The room's dominant speaker changed (RFC 6464 audio levels, with hysteresis); nil when nobody is.
    case dominantSpeaker(roomID: String, userID: String?)
}
