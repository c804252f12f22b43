import FluentKit
import FluentSQL

struct CreateIdempotencyKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(IdempotencyRecord.schema)
            .bigAutoID()
            .field("user_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .varchar("key", 255, .required)
            .varchar("request_fingerprint", 300, .required)
            .field("response_status", .int)
            .field("response_body", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "key", name: "idempotency_keys_user_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(IdempotencyRecord.schema).delete()
    }
}
