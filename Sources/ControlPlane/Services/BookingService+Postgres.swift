import FluentKit
import FluentSQL
import Foundation
import PostgresNIO

/// The booking flow's two writes on PostgreSQL, each one statement for a whole batch of bookings.
///
/// Over the network every statement is a round trip and a wake-up of a server process, and PostgreSQL
/// spends more on starting a statement than on the rows it writes. So concurrent bookings are gathered
/// (`StatementBatcher`, in `PostgresBookingBatches`) and each step runs as one data-modifying CTE
/// (`WITH … UPDATE … RETURNING`) over arrays of requests: a paid booking is two round trips shared with the
/// bookings beside it, no transaction around either (a statement is atomic). Both are named prepared
/// statements, parsed and planned once per pooled connection.
///
/// Each statement only does the common case. A request it did not write (a check failed, a free session,
/// a payment already settled) comes back nil and `BookingService`'s general path reads what happened and
/// reports or repairs it in a transaction. A statement that fails as a whole (a double booking racing in
/// from elsewhere trips the unique index) is retried one request per statement, so only the offender fails.
extension BookingService {
    /// Step 1 with its checks: the session read, availability, privacy, the learner's live bookings, then
    /// the seat, the pending booking and the pending payment. Nil when any check failed or the session is
    /// free: nothing was written for this request and the general path finds out why.
    func reserveOnPostgres(sessionID: UUID, learnerID: Int64, key: String, clientKey: Bool, now: Date) async throws -> Reservation? {
        let request = PostgresBookingBatches.Reserve(sessionID: sessionID, learnerID: learnerID, key: key)
        let row: PostgresBookingBatches.Reserved?
        do {
            if clientKey {
                // A client's key may already name a live payment: then the booking must roll back, so this
                // request runs alone inside a transaction.
                row = try await services.db.transaction { tx in
                    let row = try await PostgresBookingBatches.reserve([request], now: now, on: tx).first ?? nil
                    if let row, row.paymentID == nil { throw APIError.conflict("already_booked", "you already hold a booking for this session") }
                    return row
                }
            } else if let batches = services.bookingBatches {
                row = try await batches.reserve.submit(request)
            } else {
                row = try await PostgresBookingBatches.reserve([request], now: now, on: services.db).first ?? nil
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The partial unique index caught a double booking racing this one.
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
        guard let row else { return nil }
        guard let paymentID = row.paymentID else {
            // Unreachable with a generated key (it names no other payment); refused rather than charged.
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
        let booking = Self.newBooking(
            learnerID: learnerID, sessionID: sessionID, priceCents: row.priceCents, at: row.bookingTime, id: row.bookingID)
        let payment = Self.newPayment(
            learnerID: learnerID, sessionID: sessionID, amountCents: row.priceCents, key: key,
            bookingID: row.bookingID, id: paymentID)
        let session = BookedSession(id: sessionID, title: row.title, schedule: row.schedule, mentorID: row.mentorID)
        return Reservation(booking: booking, payment: payment, session: session, paid: true)
    }

    /// Step 3's common case: the booking row locked while it is pending and its session not cancelled, the
    /// payment claimed (pending → confirmed), the booking confirmed and announced (booking_count and score,
    /// the learner's email, the mentor's notification). The lock makes the claim and the confirmation all
    /// or nothing. Nil when nothing was written: the general path takes over.
    func confirmOnPostgres(_ payment: Payment, charge: PaymentCharge, session: BookedSession, now: Date) async throws -> Booking? {
        guard let paymentID = payment.id, let bookingID = payment.bookingID else { return nil }
        let mail = Announcement(session: session, amountCents: charge.amountCents)
        let request = PostgresBookingBatches.Confirm(
            bookingID: bookingID, paymentID: paymentID, charge: charge, subject: mail.subject, body: mail.body,
            booked: mail.booked, link: mail.link)
        let row = if let batches = services.bookingBatches {
            try await batches.confirm.submit(request)
        } else {
            try await PostgresBookingBatches.confirm([request], now: now, on: services.db).first ?? nil
        }
        guard let row else { return nil }
        return Self.confirmedBooking(
            id: bookingID, learnerID: row.learnerID, sessionID: session.id, charge: charge, bookingTime: row.bookingTime,
            isReady: row.isReady)
    }
}

/// The two batchers and their statements; one per process, on PostgreSQL only.
final class PostgresBookingBatches: Sendable {
    struct Reserve: Sendable {
        var sessionID: UUID
        var learnerID: Int64
        var key: String
    }

    struct Reserved: Sendable {
        var title: String
        var schedule: Date
        var mentorID: Int64
        var priceCents: Int64
        var bookingID: Int64
        var bookingTime: Date
        var paymentID: Int64?
    }

    struct Confirm: Sendable {
        var bookingID: Int64
        var paymentID: Int64
        var charge: PaymentCharge
        var subject: String
        var body: String
        var booked: String
        var link: String
    }

    struct Confirmed: Sendable {
        var learnerID: Int64
        var bookingTime: Date
        var isReady: Bool
    }

    let reserve: StatementBatcher<Reserve, Reserved?>
    let confirm: StatementBatcher<Confirm, Confirmed?>

    /// One statement in flight per step, of up to 32 bookings. Measured at concurrency 16 (release build):
    /// 1 in flight ~2,900 bookings/s, 2 ~2,200-2,650, 3 ~1,800-1,900, 4 ~1,300; batches in flight together
    /// mostly want the same session rows and queue on their locks, smaller and each paying the start-up.
    init(database: PeerLearnDatabase, now: @escaping @Sendable () -> Date, maximumBatch: Int = 32, maximumInFlight: Int = 1) {
        reserve = StatementBatcher(maximumBatch: maximumBatch, maximumInFlight: maximumInFlight) { requests in
            await Self.answer(requests) { try await Self.reserve($0, now: now(), on: database.db) }
        }
        confirm = StatementBatcher(maximumBatch: maximumBatch, maximumInFlight: maximumInFlight) { requests in
            await Self.answer(requests) { try await Self.confirm($0, now: now(), on: database.db) }
        }
    }

    /// Runs a batch; if the statement fails as a whole, runs each request alone so only its own error
    /// reaches it.
    private static func answer<Request: Sendable, Response: Sendable>(
        _ requests: [Request], _ run: @Sendable ([Request]) async throws -> [Response]
    ) async -> [Result<Response, any Error>] {
        do {
            return try await run(requests).map { .success($0) }
        } catch {
            guard requests.count > 1 else { return [.failure(error)] }
            var results: [Result<Response, any Error>] = []
            for request in requests {
                do {
                    guard let response = try await run([request]).first else { throw StatementBatcher<Request, Response>.BatchError.unanswered }
                    results.append(.success(response))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    /// Step 1 for `requests`, in their order; nil where nothing was written.
    static func reserve(_ requests: [Reserve], now: Date, on db: any Database) async throws -> [Reserved?] {
        let statement = ReserveStatement(
            sessionIDs: requests.map(\.sessionID), learnerIDs: requests.map(\.learnerID), keys: requests.map(\.key),
            now: now, stamp: now)
        var answers = [Reserved?](repeating: nil, count: requests.count)
        for (ordinal, row) in try await execute(statement, on: db) where (1...requests.count).contains(ordinal) {
            answers[ordinal - 1] = row
        }
        return answers
    }

    /// Step 3 for `requests`, in their order; nil where nothing was written.
    static func confirm(_ requests: [Confirm], now: Date, on db: any Database) async throws -> [Confirmed?] {
        let statement = ConfirmStatement(requests: requests, now: now, stamp: now)
        var answers = [Confirmed?](repeating: nil, count: requests.count)
        for (ordinal, row) in try await execute(statement, on: db) where (1...requests.count).contains(ordinal) {
            answers[ordinal - 1] = row
        }
        return answers
    }

    /// Runs a prepared statement on the connection behind a Fluent PostgreSQL database (or transaction).
    private static func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, on db: any Database)
        async throws -> [Statement.Row] where Statement.Row: Sendable
    {
        guard let postgres = db.unmeasured as? any PostgresDatabase else {
            throw APIError(.internalServerError, "internal", "the booking statements need PostgreSQL")
        }
        let logger = db.logger
        let started = NIODeadline.now()
        defer { (db as? MeasuredDatabase)?.use.statement("prepared", took: NIODeadline.now() - started) }
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }.get()
    }
}

/// Step 1 over arrays of (session, learner, key). The sessions are locked in id order (`FOR UPDATE`, which
/// also reads their latest seat counts), so concurrent batches queue instead of deadlocking; each session
/// gives its free seats to its requests in arrival order. A learner's second request in one batch, a
/// learner who already holds a live booking, and a private session's other learners get nothing here.
private struct ReserveStatement: PostgresPreparedStatement {
    static let name = "peerlearn_reserve_batch_v1"
    static let sql = """
        WITH req AS (SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[]) WITH ORDINALITY \
        AS r(session_id, learner_id, key, ord)), \
        locked AS (SELECT id, title, schedule, mentor_id, price_cents, is_public, \
        max_participants - current_participants AS free FROM sessions \
        WHERE id IN (SELECT session_id FROM req) AND status = '\(SessionStatus.scheduled.rawValue)' \
        AND price_cents > 0 ORDER BY id FOR UPDATE), \
        eligible AS (SELECT req.*, row_number() OVER (PARTITION BY req.session_id ORDER BY req.ord) AS place \
        FROM req JOIN locked ON locked.id = req.session_id \
        WHERE NOT EXISTS (SELECT 1 FROM req AS earlier WHERE earlier.session_id = req.session_id \
        AND earlier.learner_id = req.learner_id AND earlier.ord < req.ord) \
        AND (locked.is_public OR NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = req.session_id \
        AND requests.learner_id <> req.learner_id)) \
        AND NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.session_id = req.session_id \
        AND bookings.learner_id = req.learner_id AND bookings.status IN \
        ('\(BookingStatus.pending.rawValue)', '\(BookingStatus.confirmed.rawValue)'))), \
        granted AS (SELECT eligible.*, locked.price_cents FROM eligible JOIN locked ON locked.id = eligible.session_id \
        WHERE eligible.place <= locked.free), \
        seat AS (UPDATE sessions SET current_participants = current_participants + taken.n, updated_at = $4 \
        FROM (SELECT session_id, count(*) AS n FROM granted GROUP BY session_id) AS taken \
        WHERE sessions.id = taken.session_id RETURNING sessions.id), \
        booking AS (INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, \
        booking_time, is_ready, created_at, updated_at) SELECT learner_id, session_id, \
        '\(BookingStatus.pending.rawValue)', '\(PaymentStatus.pending.rawValue)', price_cents, $4, false, $5, $5 \
        FROM granted RETURNING id, learner_id, session_id, booking_time), \
        payment AS (INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, \
        status, created_at, updated_at) SELECT booking.id, granted.learner_id, granted.session_id, \
        granted.price_cents, granted.key, '\(PaymentRecordStatus.pending.rawValue)', $5, $5 \
        FROM booking JOIN granted ON granted.learner_id = booking.learner_id AND granted.session_id = booking.session_id \
        ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
        learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
        status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
        WHERE payments.status = '\(PaymentRecordStatus.failed.rawValue)' RETURNING id, booking_id) \
        SELECT granted.ord, locked.title, locked.schedule, locked.mentor_id, granted.price_cents, booking.id, \
        booking.booking_time, payment.id FROM granted JOIN locked ON locked.id = granted.session_id \
        JOIN booking ON booking.learner_id = granted.learner_id AND booking.session_id = granted.session_id \
        LEFT JOIN payment ON payment.booking_id = booking.id
        """

    typealias Row = (Int, PostgresBookingBatches.Reserved)

    var sessionIDs: [UUID]
    var learnerIDs: [Int64]
    var keys: [String]
    var now: Date
    var stamp: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(sessionIDs)
        bindings.append(learnerIDs)
        bindings.append(keys)
        bindings.append(now)
        bindings.append(stamp)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (ordinal, title, schedule, mentorID, price, bookingID, bookingTime, paymentID) =
            try row.decode((Int64, String, Date, Int64, Int64, Int64, Date, Int64?).self)
        return (Int(ordinal), .init(
            title: title, schedule: schedule, mentorID: mentorID, priceCents: price, bookingID: bookingID,
            bookingTime: bookingTime, paymentID: paymentID))
    }
}

/// Step 3 over arrays of (booking, payment, charge, announcement texts). The pending bookings of sessions
/// not cancelled are locked in id order; only their payments are claimed, only claimed ones confirmed, and
/// only confirmed ones counted and announced, all in the one statement.
private struct ConfirmStatement: PostgresPreparedStatement {
    static let name = "peerlearn_confirm_batch_v1"
    static let sql = """
        WITH req AS (SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::text[], \
        $7::text[], $8::text[]) WITH ORDINALITY AS r(booking_id, payment_id, charge_id, amount, subject, body, \
        booked, link, ord)), \
        target AS (SELECT bookings.id FROM bookings JOIN sessions ON sessions.id = bookings.session_id \
        WHERE bookings.id IN (SELECT booking_id FROM req) AND bookings.status = '\(BookingStatus.pending.rawValue)' \
        AND sessions.status <> '\(SessionStatus.cancelled.rawValue)' ORDER BY bookings.id FOR UPDATE OF bookings), \
        claimed AS (UPDATE payments SET status = '\(PaymentRecordStatus.confirmed.rawValue)', \
        charge_id = req.charge_id, amount_cents = req.amount, updated_at = $9 \
        FROM req JOIN target ON target.id = req.booking_id \
        WHERE payments.id = req.payment_id AND payments.status = '\(PaymentRecordStatus.pending.rawValue)' \
        RETURNING req.booking_id), \
        booking AS (UPDATE bookings SET status = '\(BookingStatus.confirmed.rawValue)', \
        payment_status = '\(PaymentStatus.paid.rawValue)', payment_id = req.charge_id, payment_amount_cents = req.amount, \
        updated_at = $9 FROM req JOIN claimed ON claimed.booking_id = req.booking_id WHERE bookings.id = req.booking_id \
        RETURNING req.ord, bookings.learner_id, bookings.session_id, bookings.booking_time, bookings.is_ready, \
        req.subject, req.body, req.booked, req.link), \
        metrics AS (UPDATE popularity_metrics SET booking_count = booking_count + done.n, \
        popularity_score = popularity_score + done.n * $10, updated_at = $11 \
        FROM (SELECT session_id, count(*) AS n FROM booking GROUP BY session_id) AS done \
        WHERE popularity_metrics.session_id = done.session_id), \
        learner AS (SELECT users.email, users.username, booking.* FROM booking JOIN users ON users.id = booking.learner_id), \
        email AS (INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
        SELECT email, subject, body, '\(BookingService.Announcement.kind)', '\(EmailStatus.pending.rawValue)', 0, $11 \
        FROM learner), \
        note AS (INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, \
        priority, created_at) SELECT sessions.mentor_id, '\(BookingService.Announcement.title)', \
        learner.username || learner.booked, '\(NotificationType.success.rawValue)', false, learner.link, \
        '\(NotificationPriority.medium.rawValue)', $11 FROM learner JOIN sessions ON sessions.id = learner.session_id) \
        SELECT ord, learner_id, booking_time, is_ready FROM booking
        """

    typealias Row = (Int, PostgresBookingBatches.Confirmed)

    var requests: [PostgresBookingBatches.Confirm]
    var now: Date
    var stamp: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
        bindings.append(requests.map(\.bookingID))
        bindings.append(requests.map(\.paymentID))
        bindings.append(requests.map(\.charge.id))
        bindings.append(requests.map(\.charge.amountCents))
        bindings.append(requests.map(\.subject))
        bindings.append(requests.map(\.body))
        bindings.append(requests.map(\.booked))
        bindings.append(requests.map(\.link))
        bindings.append(now)
        bindings.append(MetricsService.scorePerBooking)
        bindings.append(stamp)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (ordinal, learnerID, bookingTime, isReady) = try row.decode((Int64, Int64, Date, Bool).self)
        return (Int(ordinal), .init(learnerID: learnerID, bookingTime: bookingTime, isReady: isReady))
    }
}
