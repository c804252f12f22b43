import FluentKit
import FluentSQL

struct CreateBookings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Booking.schema)
            .bigAutoID()
            .field("learner_id", .int64, .required, .references(User.schema, "id", onDelete: .restrict))
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .restrict))
            .enumField("status", BookingStatus.self, default: .pending)
            .enumField("payment_status", PaymentStatus.self, default: .pending)
            .varchar("payment_id", 100)
            .field("payment_amount_cents", .int64, .required, .sql(.default(0)))
            .field("booking_time", .datetime, .required)
            .field("joined_at", .datetime)
            .field("left_at", .datetime)
            .field("is_ready", .bool, .required, .sql(.default(false)))
            .enumField("attendance_status", AttendanceStatus.self, required: false)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime)
            .unique(on: "payment_id", name: "bookings_payment_id_key")
            .check("payment_amount", "payment_amount_cents >= 0")
            .create()
        let sql = database.sql
        // A learner holds at most one live booking per session (cancelled ones may pile up); partial unique
        // indexes exist in both SQLite (3.8+) and PostgreSQL.
        try await sql.raw("""
            CREATE UNIQUE INDEX bookings_one_live_per_learner ON bookings (learner_id, session_id) \
            WHERE status IN ('pending', 'confirmed')
            """).run()
        try await sql.create(index: "bookings_session_idx").on(Booking.schema).column("session_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Booking.schema).delete()
    }
}
