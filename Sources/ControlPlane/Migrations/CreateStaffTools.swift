import FluentKit
import FluentSQL

/// Staff tools: the audit log every staff action writes in its own transaction, and the flags that hide
/// a session or a feedback entry from public lists (nullable, read as false, so existing rows and every
/// insert that does not name them stay visible).
struct CreateStaffTools: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(StaffAction.schema)
            .bigAutoID()
            .field("staff_id", .int64, .required, .references(User.schema, "id"))
            .field("action", .string, .required)
            .field("target_type", .string, .required)
            .field("target_id", .string, .required)
            .field("reason", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema(LearningSession.schema).field("is_hidden", .bool).update()
        try await database.schema(Feedback.schema).field("is_hidden", .bool).update()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "staff_actions_created_at").on(StaffAction.schema).column("created_at").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Feedback.schema).deleteField("is_hidden").update()
        try await database.schema(LearningSession.schema).deleteField("is_hidden").update()
        try await database.schema(StaffAction.schema).delete()
    }
}
