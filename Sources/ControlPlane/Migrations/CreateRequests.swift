import FluentKit
import FluentSQL

struct CreateRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(MentorshipRequest.schema)
            .bigAutoID()
            .field("learner_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("mentor_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .varchar("subject", 200, .required)
            .field("message", .string, .required)
            .field("preferred_schedule", .datetime)
            .field("duration_requested", .int)
            .enumField("status", RequestStatus.self, default: .pending)
            .field("response_message", .string)
            .field("created_at", .datetime, .required)
            .field("responded_at", .datetime)
            .check("duration_requested", "duration_requested IS NULL OR duration_requested > 0")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(MentorshipRequest.schema).delete()
    }
}
