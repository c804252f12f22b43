import FluentKit
import FluentSQL

struct CreateFollows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Follow.schema)
            .bigAutoID()
            .field("follower_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("mentor_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("is_active", .bool, .required, .sql(.default(true)))
            .unique(on: "follower_id", "mentor_id", name: "follows_follower_mentor_key")
            .check("not_self", "follower_id <> mentor_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Follow.schema).delete()
    }
}
