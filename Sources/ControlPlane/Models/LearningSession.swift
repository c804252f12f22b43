import FluentKit
import Foundation

/// SESSIONS: a live group session a mentor hosts. (Named so it cannot be mistaken for a network session.)
public final class LearningSession: Model, @unchecked Sendable {
    public static let schema = "sessions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "title") public var title: String
    @Field(key: "description") public var description: String
    @Parent(key: "mentor_id") public var mentor: User
    @Field(key: "schedule") public var schedule: Date
    /// Minutes.
    @Field(key: "duration") public var duration: Int
    @Field(key: "max_participants") public var maxParticipants: Int
    /// Only ever changed by single conditional UPDATE statements (see `BookingService`), never read-modify-write.
    @Field(key: "current_participants") public var currentParticipants: Int
    @Field(key: "status") public var status: SessionStatus
    @Field(key: "meeting_room_id") public var meetingRoomID: String
    @OptionalField(key: "skills_required") public var skillsRequired: [String]?
    @Field(key: "price_cents") public var priceCents: Int64
    @Field(key: "is_public") public var isPublic: Bool
    /// Hidden by staff from public lists (nil reads as false).
    @OptionalField(key: "is_hidden") public var isHidden: Bool?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}

    /// The scheduled end.
    public var end: Date { schedule.addingTimeInterval(TimeInterval(duration * 60)) }
}
