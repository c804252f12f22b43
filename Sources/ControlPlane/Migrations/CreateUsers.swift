import FluentKit
import FluentSQL

struct CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .bigAutoID()
            .varchar("username", 150, .required)
            .varchar("email", 254, .required)
            .varchar("password", 128, .required)
            .varchar("first_name", 100)
            .varchar("last_name", 100)
            .enumField("role", UserRole.self, default: .learner)
            .field("bio", .string)
            .field("skills", .array(of: .string))
            .field("interests", .array(of: .string))
            .varchar("profile_image", 255)
            .field("hourly_rate_cents", .int64)
            .field("is_active", .bool, .required, .sql(.default(true)))
            .field("is_staff", .bool, .required, .sql(.default(false)))
            .field("is_superuser", .bool, .required, .sql(.default(false)))
            .field("date_joined", .datetime, .required)
            .field("last_login", .datetime)
            .unique(on: "username", name: "users_username_key")
            .unique(on: "email", name: "users_email_key")
            .check("hourly_rate", "hourly_rate_cents IS NULL OR hourly_rate_cents >= 0")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}
