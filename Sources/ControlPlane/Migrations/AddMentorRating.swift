import FluentKit

/// The mentor's own rating of a session (`mentor_feedback`), kept apart from `rating_average`, which
/// counts learners only: a mentor rating their own session must not move its popularity. Nullable: null
/// until the mentor gives feedback.
struct AddMentorRating: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PopularityMetrics.schema).field("mentor_rating", .double).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PopularityMetrics.schema).deleteField("mentor_rating").update()
    }
}
