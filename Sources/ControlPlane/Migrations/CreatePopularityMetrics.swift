import FluentKit
import FluentSQL

struct CreatePopularityMetrics: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PopularityMetrics.schema)
            .bigAutoID()
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .cascade))
            .field("view_count", .int, .required, .sql(.default(0)))
            .field("booking_count", .int, .required, .sql(.default(0)))
            .field("completion_rate", .double, .required, .sql(.default(0)))
            .field("rating_average", .double, .required, .sql(.default(0)))
            .field("popularity_score", .double, .required, .sql(.default(0)))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime)
            .unique(on: "session_id", name: "popularity_metrics_session_key")
            .check("counts", "view_count >= 0 AND booking_count >= 0")
            .check("completion_rate", "completion_rate >= 0 AND completion_rate <= 1")
            .check("rating_average", "rating_average >= 0 AND rating_average <= 5")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PopularityMetrics.schema).delete()
    }
}
