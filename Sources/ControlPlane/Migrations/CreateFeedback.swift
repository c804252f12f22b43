import FluentKit
import FluentSQL

struct CreateFeedback: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Feedback.schema)
            .bigAutoID()
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .cascade))
            .field("user_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("rating", .int, .required)
            .field("comment", .string)
            .enumField("feedback_type", FeedbackType.self)
            .field("is_anonymous", .bool, .required, .sql(.default(false)))
            .field("created_at", .datetime, .required)
            .unique(on: "session_id", "user_id", name: "feedback_one_per_user_key")
            .check("rating", "rating BETWEEN 1 AND 5")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Feedback.schema).delete()
    }
}
