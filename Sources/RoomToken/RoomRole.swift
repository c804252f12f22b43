/// What a room token lets its holder do in the room: the host is the session's mentor,
/// participants are learners with a confirmed, paid booking.
public enum RoomRole: String, Codable, Sendable, Equatable, CaseIterable {
    case host
    case participant
}
