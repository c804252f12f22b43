import FluentKit
import FluentSQL
import Foundation

/// The booking flow's two writes as one PostgreSQL statement each, so a paid booking is two round trips
/// (plus the processor call) instead of one per step. Over the network every statement is a round trip and,
/// on a busy host, a wake-up of a server process; chaining the steps in data-modifying CTEs
/// (`WITH … UPDATE … RETURNING`) keeps each write atomic without a transaction around it: a statement is.
///
/// Each statement only does the common case. When it writes nothing (a check failed, a race, a free
/// session, a payment already settled), `BookingService`'s general path runs instead, reads what happened
/// and reports or repairs it in a transaction.
extension BookingService {
    /// Step 1 with its checks in one statement: the session read, availability, privacy, the learner's
    /// live bookings, then the seat, the pending booking and the pending payment. Nil when any check failed
    /// or the session is free: nothing was written and the general path finds out which.
    func reserveOnPostgres(sessionID: UUID, learnerID: Int64, key: String, clientKey: Bool, now: Date) async throws -> Reservation? {
        let stamp = Date()
        let reserve = { @Sendable (db: any Database) async throws -> Reservation? in
            let row = try await db.sql.raw("""
                WITH target AS (SELECT id, title, schedule, mentor_id, price_cents FROM sessions \
                WHERE id = \(bind: sessionID) AND status = \(bind: SessionStatus.scheduled.rawValue) AND price_cents > 0 \
                AND current_participants < max_participants \
                AND (is_public OR NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = sessions.id \
                AND requests.learner_id <> \(bind: learnerID))) \
                AND NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.session_id = sessions.id \
                AND bookings.learner_id = \(bind: learnerID) AND bookings.status IN \
                (\(bind: BookingStatus.pending.rawValue), \(bind: BookingStatus.confirmed.rawValue)))), \
                seat AS (UPDATE sessions SET current_participants = current_participants + 1, updated_at = \(bind: now) \
                WHERE id = (SELECT id FROM target) AND status = \(bind: SessionStatus.scheduled.rawValue) \
                AND current_participants < max_participants RETURNING id, price_cents), \
                booking AS (INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, \
                booking_time, is_ready, created_at, updated_at) SELECT \(bind: learnerID), seat.id, \
                \(bind: BookingStatus.pending.rawValue), \(bind: PaymentStatus.pending.rawValue), seat.price_cents, \
                \(bind: now), \(bind: false), \(bind: stamp), \(bind: stamp) FROM seat RETURNING id), \
                payment AS (INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, \
                status, created_at, updated_at) SELECT booking.id, \(bind: learnerID), \(bind: sessionID), \
                seat.price_cents, \(bind: key), \(bind: PaymentRecordStatus.pending.rawValue), \(bind: stamp), \
                \(bind: stamp) FROM booking, seat \
                ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
                learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
                status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
                WHERE payments.status = \(bind: PaymentRecordStatus.failed.rawValue) RETURNING id) \
                SELECT target.title, target.schedule, target.mentor_id, seat.price_cents, booking.id AS booking_id, \
                payment.id AS payment_id FROM target JOIN seat ON true JOIN booking ON true LEFT JOIN payment ON true
                """).first()
            guard let row else { return nil }
            guard let paymentID = try row.decode(column: "payment_id", as: Int64?.self) else {
                // A live payment holds this client key: another request's. Only reachable with a client key,
                // inside the transaction this throw rolls back.
                throw APIError.conflict("already_booked", "you already hold a booking for this session")
            }
            let price = try row.decode(column: "price_cents", as: Int64.self)
            let booking = Booking()
            booking.id = try row.decode(column: "booking_id", as: Int64.self)
            booking.$learner.id = learnerID
            booking.$session.id = sessionID
            booking.status = .pending
            booking.paymentStatus = .pending
            booking.paymentID = nil
            booking.paymentAmountCents = price
            booking.bookingTime = now
            booking.isReady = false
            let payment = Payment()
            payment.id = paymentID
            payment.bookingID = booking.id
            payment.learnerID = learnerID
            payment.sessionID = sessionID
            payment.amountCents = price
            payment.idempotencyKey = key
            payment.status = .pending
            let session = BookedSession(
                id: sessionID, title: try row.decode(column: "title", as: String.self),
                schedule: try row.decode(column: "schedule", as: Date.self),
                mentorID: try row.decode(column: "mentor_id", as: Int64.self))
            return Reservation(booking: booking, payment: payment, session: session, paid: true)
        }
        do {
            // A generated key cannot collide, so the statement needs no transaction around it.
            return clientKey ? try await services.db.transaction { try await reserve($0) } : try await reserve(services.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The partial unique index caught a double booking racing this one.
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
    }

    /// Step 3's common case in one statement: the booking row locked while it is pending and its session not
    /// cancelled, the payment claimed (pending → confirmed), the booking confirmed and announced
    /// (booking_count and score, the learner's email, the mentor's notification). The lock makes the claim
    /// and the confirmation all or nothing. Nil when nothing was written: the general path takes over.
    func confirmOnPostgres(_ payment: Payment, charge: PaymentCharge, session: BookedSession, now: Date) async throws -> Booking? {
        guard let paymentID = payment.id, let bookingID = payment.bookingID else { return nil }
        let stamp = Date()
        let mail = Announcement(session: session, amountCents: charge.amountCents)
        let row = try await services.db.sql.raw("""
            WITH target AS (SELECT bookings.id FROM bookings JOIN sessions ON sessions.id = bookings.session_id \
            WHERE bookings.id = \(bind: bookingID) AND bookings.status = \(bind: BookingStatus.pending.rawValue) \
            AND sessions.status <> \(bind: SessionStatus.cancelled.rawValue) FOR UPDATE OF bookings), \
            claimed AS (UPDATE payments SET status = \(bind: PaymentRecordStatus.confirmed.rawValue), \
            charge_id = \(bind: charge.id), amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
            WHERE id = \(bind: paymentID) AND status = \(bind: PaymentRecordStatus.pending.rawValue) \
            AND EXISTS (SELECT 1 FROM target) RETURNING id), \
            booking AS (UPDATE bookings SET status = \(bind: BookingStatus.confirmed.rawValue), \
            payment_status = \(bind: PaymentStatus.paid.rawValue), payment_id = \(bind: charge.id), \
            payment_amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
            WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM claimed) RETURNING *), \
            metrics AS (UPDATE popularity_metrics SET booking_count = booking_count + 1, \
            popularity_score = popularity_score + \(bind: MetricsService.scorePerBooking), updated_at = \(bind: stamp) \
            WHERE session_id = \(bind: session.id) AND EXISTS (SELECT 1 FROM booking)), \
            learner AS (SELECT users.email, users.username FROM users JOIN booking ON users.id = booking.learner_id), \
            email AS (INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
            SELECT learner.email, \(bind: mail.subject), \(bind: mail.body), \(bind: Announcement.kind), \
            \(bind: EmailStatus.pending.rawValue), 0, \(bind: stamp) FROM learner), \
            note AS (INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, \
            priority, created_at) SELECT \(bind: session.mentorID), \(bind: Announcement.title), \
            learner.username || \(bind: mail.booked), \(bind: NotificationType.success.rawValue), \(bind: false), \
            \(bind: mail.link), \(bind: NotificationPriority.medium.rawValue), \(bind: stamp) FROM learner) \
            SELECT * FROM booking
            """).first()
        return try row?.decode(fluentModel: Booking.self)
    }
}
