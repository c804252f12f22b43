import FluentKit
import FluentSQL

struct CreateNotifications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserNotification.schema)
            .bigAutoID()
            .field("user_id", .int64, .required, .references(User.schema, "id", onDelete: .cascade))
            .varchar("title", 200, .required)
            .field("message", .string, .required)
            .enumField("notification_type", NotificationType.self, default: .info)
            .field("is_read", .bool, .required, .sql(.default(false)))
            .varchar("action_url", 200)
            .enumField("priority", NotificationPriority.self, default: .medium)
            .field("created_at", .datetime, .required)
            .field("read_at", .datetime)
            .create()
        try await database.sql
            .create(index: "notifications_user_idx").on(UserNotification.schema).column("user_id").column("is_read").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserNotification.schema).delete()
    }
}
