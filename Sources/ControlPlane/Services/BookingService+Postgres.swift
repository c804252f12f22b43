import FluentKit
import FluentSQL
import Foundation

/// The booking flow's two writes as one PostgreSQL statement each. Over the network every statement is a
/// round trip (and on a busy host a wake-up of the server process), so chaining the steps in data-modifying
/// CTEs (`WITH … UPDATE … RETURNING`) cuts a paid booking from 13 round trips to 5. SQLite has no
/// data-modifying CTEs and no network, and keeps the statement-per-step path in `BookingService`.
///
/// Nothing about the flow changes: a statement is atomic, the seat is still taken by the conditional
/// UPDATE (a booking row exists only if the seat UPDATE returned one), and every CTE runs to completion
/// whether or not the final SELECT reads it.
extension BookingService {
    /// Step 1 in one statement: the seat, the pending booking and the pending payment. Returns the booking
    /// and the payment's id; nil when no seat was left. A live payment already holding the key (only a
    /// client-given key can collide) returns no payment id: the caller runs this inside a transaction
    /// then and refuses, which undoes the seat and the booking.
    static func reserveOnPostgres(
        _ template: Booking, payment: Payment, now: Date, on db: any Database
    ) async throws -> (Booking, Int64?)? {
        let stamp = Date()
        let row = try await db.sql.raw("""
            WITH seat AS (UPDATE sessions SET current_participants = current_participants + 1, updated_at = \(bind: now) \
            WHERE id = \(bind: template.$session.id) AND status = \(bind: SessionStatus.scheduled.rawValue) \
            AND current_participants < max_participants RETURNING id), \
            booking AS (INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, \
            booking_time, is_ready, created_at, updated_at) SELECT \(bind: template.$learner.id), seat.id, \
            \(bind: template.status.rawValue), \(bind: template.paymentStatus.rawValue), \
            \(bind: template.paymentAmountCents), \(bind: now), \(bind: false), \(bind: stamp), \(bind: stamp) \
            FROM seat RETURNING *), \
            payment AS (INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, \
            status, created_at, updated_at) SELECT booking.id, \(bind: payment.learnerID), \(bind: payment.sessionID), \
            \(bind: payment.amountCents), \(bind: payment.idempotencyKey), \(bind: payment.status.rawValue), \
            \(bind: stamp), \(bind: stamp) FROM booking \
            ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
            learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
            status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
            WHERE payments.status = \(bind: PaymentRecordStatus.failed.rawValue) RETURNING id) \
            SELECT booking.*, payment.id AS payment_row_id FROM booking LEFT JOIN payment ON true
            """).first()
        guard let row else { return nil }
        let booking = try row.decode(fluentModel: Booking.self)
        let paymentID = try row.decode(column: "payment_row_id", as: Int64?.self)
        return (booking, paymentID)
    }

    /// Step 3's common case in one statement, inside the caller's transaction: the payment is claimed
    /// (pending → confirmed), the booking confirmed while its session is not cancelled, and the booking
    /// announced (booking_count and score, the learner's email, the mentor's notification), all only if the
    /// booking was confirmed. Returns whether the payment was claimed and the confirmed booking; the caller
    /// handles the rare outcomes (already settled, or nothing left to pay for) in the same transaction.
    static func confirmOnPostgres(
        _ payment: Payment, bookingID: Int64, charge: PaymentCharge, session: LearningSession, now: Date,
        on tx: any Database
    ) async throws -> (claimed: Bool, booking: Booking?) {
        let stamp = Date()
        let mail = Announcement(session: session, amountCents: charge.amountCents)
        let row = try await tx.sql.raw("""
            WITH claimed AS (UPDATE payments SET status = \(bind: PaymentRecordStatus.confirmed.rawValue), \
            charge_id = \(bind: charge.id), amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
            WHERE id = \(bind: payment.id!) AND status = \(bind: PaymentRecordStatus.pending.rawValue) RETURNING id), \
            booking AS (UPDATE bookings SET status = \(bind: BookingStatus.confirmed.rawValue), \
            payment_status = \(bind: PaymentStatus.paid.rawValue), payment_id = \(bind: charge.id), \
            payment_amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
            WHERE id = \(bind: bookingID) AND status = \(bind: BookingStatus.pending.rawValue) \
            AND EXISTS (SELECT 1 FROM claimed) \
            AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = bookings.session_id \
            AND sessions.status <> \(bind: SessionStatus.cancelled.rawValue)) RETURNING *), \
            metrics AS (UPDATE popularity_metrics SET booking_count = booking_count + 1, \
            popularity_score = popularity_score + \(bind: MetricsService.scorePerBooking), updated_at = \(bind: stamp) \
            WHERE session_id = \(bind: session.id!) AND EXISTS (SELECT 1 FROM booking)), \
            learner AS (SELECT users.email, users.username FROM users JOIN booking ON users.id = booking.learner_id), \
            email AS (INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
            SELECT learner.email, \(bind: mail.subject), \(bind: mail.body), \(bind: Announcement.kind), \
            \(bind: EmailStatus.pending.rawValue), 0, \(bind: stamp) FROM learner), \
            note AS (INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, \
            priority, created_at) SELECT \(bind: session.$mentor.id), \(bind: Announcement.title), \
            learner.username || \(bind: mail.booked), \(bind: NotificationType.success.rawValue), \(bind: false), \
            \(bind: mail.link), \(bind: NotificationPriority.medium.rawValue), \(bind: stamp) FROM learner) \
            SELECT EXISTS (SELECT 1 FROM claimed) AS claimed_payment, booking.* \
            FROM (SELECT 1) AS one LEFT JOIN booking ON true
            """).first()
        guard let row else { return (false, nil) }
        let claimed = try row.decode(column: "claimed_payment", as: Bool.self)
        guard try !row.decodeNil(column: "id") else { return (claimed, nil) }
        return (claimed, try row.decode(fluentModel: Booking.self))
    }
}
