import FluentKit
import FluentSQL
import Foundation
import PostgresNIO

/// The booking flow's two writes as one PostgreSQL statement each, so a paid booking is two round trips
/// (plus the processor call) instead of one per step. Over the network every statement is a round trip and,
/// on a busy host, a wake-up of a server process; chaining the steps in data-modifying CTEs
/// (`WITH … UPDATE … RETURNING`) keeps each write atomic without a transaction around it: a statement is.
///
/// Both are named prepared statements (`PostgresPreparedStatement`), prepared once per pooled connection: a
/// six-part CTE costs more to parse and plan than to run, and PostgreSQL switches to a cached generic plan
/// after a few executions. Each statement only does the common case. When it writes nothing (a check failed, a race, a free
/// session, a payment already settled), `BookingService`'s general path runs instead, reads what happened
/// and reports or repairs it in a transaction.
extension BookingService {
    /// Step 1 with its checks in one statement: the session read, availability, privacy, the learner's
    /// live bookings, then the seat, the pending booking and the pending payment. Nil when any check failed
    /// or the session is free: nothing was written and the general path finds out which.
    func reserveOnPostgres(sessionID: UUID, learnerID: Int64, key: String, clientKey: Bool, now: Date) async throws -> Reservation? {
        let statement = ReserveStatement(sessionID: sessionID, learnerID: learnerID, key: key, now: now, stamp: Date())
        let reserve = { @Sendable (db: any Database) async throws -> Reservation? in
            guard let row = try await Self.execute(statement, on: db).first else { return nil }
            guard let paymentID = row.paymentID else {
                // A live payment holds this client key: another request's. Only reachable with a client key,
                // inside the transaction this throw rolls back.
                throw APIError.conflict("already_booked", "you already hold a booking for this session")
            }
            let booking = Self.newBooking(
                learnerID: learnerID, sessionID: sessionID, priceCents: row.priceCents, at: now, id: row.bookingID)
            let payment = Self.newPayment(
                learnerID: learnerID, sessionID: sessionID, amountCents: row.priceCents, key: key,
                bookingID: row.bookingID, id: paymentID)
            let session = BookedSession(id: sessionID, title: row.title, schedule: row.schedule, mentorID: row.mentorID)
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
        let mail = Announcement(session: session, amountCents: charge.amountCents)
        let statement = ConfirmStatement(
            bookingID: bookingID, paymentID: paymentID, charge: charge, session: session, mail: mail, now: now, stamp: Date())
        guard let row = try await Self.execute(statement, on: services.db).first else { return nil }
        return Self.confirmedBooking(
            id: bookingID, learnerID: row.learnerID, sessionID: session.id, charge: charge, bookingTime: row.bookingTime,
            isReady: row.isReady)
    }

    /// Runs a prepared statement on the connection behind a Fluent PostgreSQL database (or transaction).
    private static func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, on db: any Database)
        async throws -> [Statement.Row] where Statement.Row: Sendable
    {
        guard let postgres = db as? any PostgresDatabase else { throw APIError(.internalServerError, "internal", "the booking statements need PostgreSQL") }
        let logger = db.logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }.get()
    }
}

/// `reserveOnPostgres`'s statement. Status names are the app's own constants, written into the text once.
private struct ReserveStatement: PostgresPreparedStatement {
    static let name = "peerlearn_reserve_v1"
    static let sql = """
        WITH target AS (SELECT id, title, schedule, mentor_id, price_cents FROM sessions \
        WHERE id = $1 AND status = '\(SessionStatus.scheduled.rawValue)' AND price_cents > 0 \
        AND current_participants < max_participants \
        AND (is_public OR NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = sessions.id \
        AND requests.learner_id <> $2)) \
        AND NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.session_id = sessions.id AND bookings.learner_id = $2 \
        AND bookings.status IN ('\(BookingStatus.pending.rawValue)', '\(BookingStatus.confirmed.rawValue)'))), \
        seat AS (UPDATE sessions SET current_participants = current_participants + 1, updated_at = $3 \
        WHERE id = (SELECT id FROM target) AND status = '\(SessionStatus.scheduled.rawValue)' \
        AND current_participants < max_participants RETURNING id, price_cents), \
        booking AS (INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, \
        booking_time, is_ready, created_at, updated_at) SELECT $2, seat.id, '\(BookingStatus.pending.rawValue)', \
        '\(PaymentStatus.pending.rawValue)', seat.price_cents, $3, false, $4, $4 FROM seat RETURNING id), \
        payment AS (INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, \
        status, created_at, updated_at) SELECT booking.id, $2, $1, seat.price_cents, $5, \
        '\(PaymentRecordStatus.pending.rawValue)', $4, $4 FROM booking, seat \
        ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
        learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
        status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
        WHERE payments.status = '\(PaymentRecordStatus.failed.rawValue)' RETURNING id) \
        SELECT target.title, target.schedule, target.mentor_id, seat.price_cents, booking.id, payment.id \
        FROM target JOIN seat ON true JOIN booking ON true LEFT JOIN payment ON true
        """

    struct Row: Sendable {
        var title: String
        var schedule: Date
        var mentorID: Int64
        var priceCents: Int64
        var bookingID: Int64
        var paymentID: Int64?
    }

    var sessionID: UUID
    var learnerID: Int64
    var key: String
    var now: Date
    var stamp: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(sessionID)
        bindings.append(learnerID)
        bindings.append(now)
        bindings.append(stamp)
        bindings.append(key)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (title, schedule, mentorID, price, bookingID, paymentID) =
            try row.decode((String, Date, Int64, Int64, Int64, Int64?).self)
        return Row(title: title, schedule: schedule, mentorID: mentorID, priceCents: price, bookingID: bookingID, paymentID: paymentID)
    }
}

/// `confirmOnPostgres`'s statement.
private struct ConfirmStatement: PostgresPreparedStatement {
    static let name = "peerlearn_confirm_v1"
    static let sql = """
        WITH target AS (SELECT bookings.id FROM bookings JOIN sessions ON sessions.id = bookings.session_id \
        WHERE bookings.id = $1 AND bookings.status = '\(BookingStatus.pending.rawValue)' \
        AND sessions.status <> '\(SessionStatus.cancelled.rawValue)' FOR UPDATE OF bookings), \
        claimed AS (UPDATE payments SET status = '\(PaymentRecordStatus.confirmed.rawValue)', charge_id = $3, \
        amount_cents = $4, updated_at = $5 WHERE id = $2 AND status = '\(PaymentRecordStatus.pending.rawValue)' \
        AND EXISTS (SELECT 1 FROM target) RETURNING id), \
        booking AS (UPDATE bookings SET status = '\(BookingStatus.confirmed.rawValue)', \
        payment_status = '\(PaymentStatus.paid.rawValue)', payment_id = $3, payment_amount_cents = $4, updated_at = $5 \
        WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM claimed) \
        RETURNING learner_id, booking_time, is_ready), \
        metrics AS (UPDATE popularity_metrics SET booking_count = booking_count + 1, \
        popularity_score = popularity_score + $6, updated_at = $7 \
        WHERE session_id = $8 AND EXISTS (SELECT 1 FROM booking)), \
        learner AS (SELECT users.email, users.username FROM users JOIN booking ON users.id = booking.learner_id), \
        email AS (INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
        SELECT learner.email, $9, $10, '\(BookingService.Announcement.kind)', '\(EmailStatus.pending.rawValue)', 0, $7 \
        FROM learner), \
        note AS (INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, \
        priority, created_at) SELECT $11, '\(BookingService.Announcement.title)', learner.username || $12, \
        '\(NotificationType.success.rawValue)', false, $13, '\(NotificationPriority.medium.rawValue)', $7 FROM learner) \
        SELECT learner_id, booking_time, is_ready FROM booking
        """

    typealias Row = (learnerID: Int64, bookingTime: Date, isReady: Bool)

    var bookingID: Int64
    var paymentID: Int64
    var charge: PaymentCharge
    var session: BookingService.BookedSession
    var mail: BookingService.Announcement
    var now: Date
    var stamp: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 13)
        bindings.append(bookingID)
        bindings.append(paymentID)
        bindings.append(charge.id)
        bindings.append(charge.amountCents)
        bindings.append(now)
        bindings.append(MetricsService.scorePerBooking)
        bindings.append(stamp)
        bindings.append(session.id)
        bindings.append(mail.subject)
        bindings.append(mail.body)
        bindings.append(session.mentorID)
        bindings.append(mail.booked)
        bindings.append(mail.link)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode((Int64, Date, Bool).self)
    }
}
