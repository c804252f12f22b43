import FluentKit

/// A request links to the private session its acceptance arranged; null while pending, declined or
/// expired, and if that session is ever deleted.
struct AddRequestSession: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(MentorshipRequest.schema)
            .field("session_id", .uuid, .references(LearningSession.schema, "id", onDelete: .setNull)).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(MentorshipRequest.schema).deleteField("session_id").update()
    }
}
