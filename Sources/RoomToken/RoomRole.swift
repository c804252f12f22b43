/// What a room token lets its holder do in the room: the host is the session's mentor,
/// participants are learners with a confirmed, paid booking, and a relay is another relay node pulling the
/// room's tracks for its own viewers (a cascade): it may only watch, over WHEP, and is nobody's attendance.
/// The control plane never issues `relay` tokens; relay nodes mint them with the key they share.
public enum RoomRole: String, Codable, Sendable, Equatable, CaseIterable {
    case host
    case participant
    case relay
}
