import FluentKit
import FluentSQL

struct CreateEmailOutbox: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OutboxEmail.schema)
            .bigAutoID()
            .varchar("to_address", 254, .required)
            .varchar("subject", 200, .required)
            .field("body", .string, .required)
            .varchar("kind", 50, .required)
            .enumField("status", EmailStatus.self, default: .pending)
            .field("attempts", .int, .required, .sql(.default(0)))
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OutboxEmail.schema).delete()
    }
}
