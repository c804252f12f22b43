import FluentKit
import FluentSQL

/// `payments` (every charge attempt, written before the processor is called) and `refund_outbox`
/// (refunds owed, retried until the processor confirms).
struct CreatePayments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Payment.schema)
            .bigAutoID()
            .field("booking_id", .int64, .references(Booking.schema, "id", onDelete: .setNull))
            .field("learner_id", .int64, .required, .references(User.schema, "id", onDelete: .restrict))
            .field("session_id", .uuid, .required, .references(LearningSession.schema, "id", onDelete: .restrict))
            .field("amount_cents", .int64, .required)
            .varchar("idempotency_key", 300, .required)
            .enumField("status", PaymentRecordStatus.self, default: .pending)
            .varchar("charge_id", 100)
            .field("failure_reason", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime)
            .unique(on: "idempotency_key", name: "payments_idempotency_key")
            .unique(on: "charge_id", name: "payments_charge_id_key")
            .check("amount", "amount_cents >= 0")
            .create()
        try await database.sql.create(index: "payments_status_idx").on(Payment.schema).column("status").run()
        try await database.sql.create(index: "payments_booking_idx").on(Payment.schema).column("booking_id").run()

        try await database.schema(RefundOutboxEntry.schema)
            .bigAutoID()
            .field("payment_id", .int64, .references(Payment.schema, "id", onDelete: .restrict))
            .varchar("charge_id", 100, .required)
            .field("amount_cents", .int64, .required)
            .enumField("status", RefundStatus.self, default: .pending)
            .field("attempts", .int, .required, .sql(.default(0)))
            .field("next_attempt_at", .datetime, .required)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("done_at", .datetime)
            // One refund per charge: a double cancel cannot give the money back twice.
            .unique(on: "charge_id", name: "refund_outbox_charge_key")
            .check("amount", "amount_cents >= 0 AND attempts >= 0")
            .create()
        try await database.sql.create(index: "refund_outbox_due_idx").on(RefundOutboxEntry.schema)
            .column("status").column("next_attempt_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RefundOutboxEntry.schema).delete()
        try await database.schema(Payment.schema).delete()
    }
}
