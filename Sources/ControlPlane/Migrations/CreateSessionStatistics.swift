import FluentKit
import FluentSQL

struct CreateSessionStatistics: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ParticipantStatistics.schema)
            .bigAutoID()
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .cascade))
            .field("user_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("bytes_in", .int64, .required, .sql(.default(0)))
            .field("bytes_out", .int64, .required, .sql(.default(0)))
            .field("packets_in", .int64, .required, .sql(.default(0)))
            .field("packets_out", .int64, .required, .sql(.default(0)))
            .field("packets_lost", .int64, .required, .sql(.default(0)))
            .field("loss_fraction", .double, .required, .sql(.default(0)))
            .field("jitter_ms", .double, .required, .sql(.default(0)))
            .field("seconds_in_room", .double, .required, .sql(.default(0)))
            .field("audio_only", .bool, .required, .sql(.default(false)))
            .field("joined_at", .datetime)
            .field("left_at", .datetime)
            .field("created_at", .datetime, .required)
            .check("counters", "bytes_in >= 0 AND bytes_out >= 0 AND packets_in >= 0 AND packets_out >= 0 AND packets_lost >= 0")
            .check("loss", "loss_fraction >= 0 AND loss_fraction <= 1")
            .check("jitter", "jitter_ms >= 0 AND seconds_in_room >= 0")
            .create()
        try await database.schema(SessionStatistics.schema)
            .bigAutoID()
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .cascade))
            .field("participant_count", .int, .required, .sql(.default(0)))
            .field("audio_only_count", .int, .required, .sql(.default(0)))
            .field("bytes_in", .int64, .required, .sql(.default(0)))
            .field("bytes_out", .int64, .required, .sql(.default(0)))
            .field("packets_in", .int64, .required, .sql(.default(0)))
            .field("packets_out", .int64, .required, .sql(.default(0)))
            .field("packets_lost", .int64, .required, .sql(.default(0)))
            .field("average_loss_fraction", .double, .required, .sql(.default(0)))
            .field("average_jitter_ms", .double, .required, .sql(.default(0)))
            .field("total_seconds_in_room", .double, .required, .sql(.default(0)))
            .field("updated_at", .datetime)
            .unique(on: "session_id", name: "session_statistics_session_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SessionStatistics.schema).delete()
        try await database.schema(ParticipantStatistics.schema).delete()
    }
}
