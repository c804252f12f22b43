import Foundation
import SQLiteGroupCommit

/// The booking flow's two writes on SQLite, each one job of the group-commit writer
/// (`PeerLearnDatabase.groupCommit`): the job reads, checks and writes on the writer's connection with cached
/// statements, in its own savepoint of a transaction shared with the other bookings in flight, so many
/// bookings share one fsync. The rules are `BookingService`'s; only the way to the file differs.
extension BookingService {
    /// Step 1 as one job: the session read and every check of the seed's "availability" branch, then the
    /// seat, the booking and its payment (settled at once, with its announcement, for a free session).
    static func reserveOnSQLite(
        _ writer: GroupCommitWriter, sessionID: UUID, learnerID: Int64, key: String, now: Date, stamp: Date
    ) async throws -> Reservation {
        do {
            return try await writer.write { db in
                try reserve(on: db, sessionID: sessionID, learnerID: learnerID, key: key, now: now, stamp: stamp)
            }
        } catch let failure as SQLiteFailure where failure.isConstraint {
            // The partial unique index caught a double booking racing this one (or its payment key).
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
    }

    private static func reserve(
        on db: WriterConnection, sessionID: UUID, learnerID: Int64, key: String, now: Date, stamp: Date
    ) throws -> Reservation {
        let live = [BookingStatus.pending, .confirmed].map { SQLiteValue($0.rawValue) }
        guard let row = try db.first("""
            SELECT status, is_public, current_participants, max_participants, price_cents, title, schedule, mentor_id, \
            EXISTS (SELECT 1 FROM bookings WHERE bookings.session_id = sessions.id AND bookings.learner_id = ? \
            AND bookings.status IN (?, ?)), \
            (SELECT learner_id FROM requests WHERE requests.session_id = sessions.id LIMIT 1) \
            FROM sessions WHERE id = ?
            """, [SQLiteValue(learnerID)] + live + [SQLiteValue(sessionID)]),
            row.count == 10, let status = row[0].text.flatMap(SessionStatus.init(rawValue:)),
            let current = row[2].integer, let maximum = row[3].integer, let price = row[4].integer,
            let title = row[5].text, let schedule = row[6].date, let mentorID = row[7].integer
        else { throw APIError.notFound("session") }
        let session = BookedSession(id: sessionID, title: title, schedule: schedule, mentorID: mentorID)
        try checkBookable(
            status: status, isPublic: row[1].bool ?? true, privateOwner: row[9].integer, learnerID: learnerID,
            alreadyBooked: row[8].bool ?? false, current: current, maximum: maximum)

        let paid = price > 0
        try db.query("""
            UPDATE sessions SET current_participants = current_participants + 1, updated_at = ? \
            WHERE id = ? AND status = ? AND current_participants < max_participants
            """, [SQLiteValue(now), SQLiteValue(sessionID), SQLiteValue(SessionStatus.scheduled.rawValue)])
        guard db.changes == 1 else { throw APIError.conflict("session_full", "session is full") }
        let booking = newBooking(learnerID: learnerID, sessionID: sessionID, priceCents: price, at: now)
        booking.id = try db.first("""
            INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, booking_time, \
            is_ready, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [SQLiteValue(learnerID), SQLiteValue(sessionID), SQLiteValue(booking.status.rawValue),
                  SQLiteValue(booking.paymentStatus.rawValue), SQLiteValue(price), SQLiteValue(now), SQLiteValue(false),
                  SQLiteValue(stamp), SQLiteValue(stamp)])?.first?.integer
        let payment = newPayment(learnerID: learnerID, sessionID: sessionID, amountCents: price, key: key, bookingID: booking.id)
        guard let paymentID = try db.first("""
            INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, status, \
            created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
            ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
            learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
            status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
            WHERE payments.status = ? RETURNING id
            """, [SQLiteValue(booking.id), SQLiteValue(learnerID), SQLiteValue(sessionID), SQLiteValue(price),
                  SQLiteValue(key), SQLiteValue(payment.status.rawValue), SQLiteValue(stamp), SQLiteValue(stamp),
                  SQLiteValue(PaymentRecordStatus.failed.rawValue)])?.first?.integer
        else {
            // A live payment holds this key: another request's. Thrown, so the seat and booking roll back.
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
        payment.id = paymentID
        if !paid { try announce(booking, session: session, stamp: stamp, on: db) }
        return Reservation(booking: booking, payment: payment, session: session, paid: paid)
    }

    /// Step 3's common case as one job: the payment claimed, the booking confirmed while its session is not
    /// cancelled, the booking announced. Nil when that is not what happened (already settled, or nothing
    /// left to pay for): the job then writes nothing and the caller takes `confirm`'s general path.
    static func confirmOnSQLite(
        _ writer: GroupCommitWriter, payment: Payment, charge: PaymentCharge, session: BookedSession,
        now: Date, stamp: Date
    ) async throws -> Booking? {
        guard let paymentID = payment.id, let bookingID = payment.bookingID else { return nil }
        do {
            return try await writer.write { db in
                try db.query("""
                    UPDATE payments SET status = ?, charge_id = ?, amount_cents = ?, updated_at = ? \
                    WHERE id = ? AND status = ?
                    """, [SQLiteValue(PaymentRecordStatus.confirmed.rawValue), SQLiteValue(charge.id),
                          SQLiteValue(charge.amountCents), SQLiteValue(now), SQLiteValue(paymentID),
                          SQLiteValue(PaymentRecordStatus.pending.rawValue)])
                guard db.changes == 1 else { throw Uncommon() }
                guard let row = try db.first("""
                    UPDATE bookings SET status = ?, payment_status = ?, payment_id = ?, payment_amount_cents = ?, \
                    updated_at = ? WHERE id = ? AND status = ? AND EXISTS (SELECT 1 FROM sessions \
                    WHERE sessions.id = bookings.session_id AND sessions.status <> ?) \
                    RETURNING learner_id, booking_time, is_ready
                    """, [SQLiteValue(BookingStatus.confirmed.rawValue), SQLiteValue(PaymentStatus.paid.rawValue),
                          SQLiteValue(charge.id), SQLiteValue(charge.amountCents), SQLiteValue(now),
                          SQLiteValue(bookingID), SQLiteValue(BookingStatus.pending.rawValue),
                          SQLiteValue(SessionStatus.cancelled.rawValue)]),
                    let learnerID = row[0].integer, let bookingTime = row[1].date
                else { throw Uncommon() }
                let booking = confirmedBooking(
                    id: bookingID, learnerID: learnerID, sessionID: session.id, charge: charge, bookingTime: bookingTime,
                    isReady: row[2].bool ?? false)
                try announce(booking, session: session, stamp: stamp, on: db)
                return booking
            }
        } catch is Uncommon {
            return nil
        }
    }

    /// A confirmation that needs `confirm`'s general path; thrown so the job's savepoint rolls back.
    private struct Uncommon: Error {}

    /// `announce` on the writer's connection: metrics, the learner's email, the mentor's notification.
    private static func announce(_ booking: Booking, session: BookedSession, stamp: Date, on db: WriterConnection) throws {
        let mail = Announcement(session: session, amountCents: booking.paymentAmountCents)
        try db.query("""
            UPDATE popularity_metrics SET booking_count = booking_count + 1, \
            popularity_score = popularity_score + ?, updated_at = ? WHERE session_id = ?
            """, [SQLiteValue(MetricsService.scorePerBooking), SQLiteValue(stamp), SQLiteValue(session.id)])
        try db.query("""
            INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
            SELECT email, ?, ?, ?, ?, 0, ? FROM users WHERE id = ?
            """, [SQLiteValue(mail.subject), SQLiteValue(mail.body), SQLiteValue(Announcement.kind),
                  SQLiteValue(EmailStatus.pending.rawValue), SQLiteValue(stamp), SQLiteValue(booking.$learner.id)])
        try db.query("""
            INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, priority, \
            created_at) SELECT ?, ?, username || ?, ?, ?, ?, ?, ? FROM users WHERE id = ?
            """, [SQLiteValue(session.mentorID), SQLiteValue(Announcement.title), SQLiteValue(mail.booked),
                  SQLiteValue(NotificationType.success.rawValue), SQLiteValue(false), SQLiteValue(mail.link),
                  SQLiteValue(NotificationPriority.medium.rawValue), SQLiteValue(stamp),
                  SQLiteValue(booking.$learner.id)])
    }
}
