import FluentKit
import FluentSQL

struct CreateSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LearningSession.schema)
            .id()
            .varchar("title", 200, .required)
            .field("description", .string, .required)
            .field("mentor_id", .int64, .required, .references(User.schema, "id", onDelete: .restrict))
            .field("schedule", .datetime, .required)
            .field("duration", .int, .required)
            .field("max_participants", .int, .required, .sql(.default(10)))
            .field("current_participants", .int, .required, .sql(.default(0)))
            .enumField("status", SessionStatus.self, default: .draft)
            .varchar("meeting_room_id", 100, .required)
            .field("skills_required", .array(of: .string))
            .field("price_cents", .int64, .required, .sql(.default(0)))
            .field("is_public", .bool, .required, .sql(.default(true)))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime)
            .unique(on: "meeting_room_id", name: "sessions_meeting_room_id_key")
            .check("duration", "duration > 0")
            .check("max_participants", "max_participants > 0")
            // The second half is the last line of defence against overbooking.
            .check("current_participants", "current_participants >= 0 AND current_participants <= max_participants")
            .check("price", "price_cents >= 0")
            .create()
        try await database.sql
            .create(index: "sessions_status_schedule_idx").on(LearningSession.schema).column("status").column("schedule").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LearningSession.schema).delete()
    }
}
