import FluentKit
import FluentSQL
import Foundation
import Metrics
import Tracing

/// The seed's booking flow: availability → payment → booking record → confirmation email → mentor notified.
///
/// Capacity holds under concurrency because the seat is taken atomically with the booking insert: on
/// SQLite inside one writer job (one writer at a time, `BookingService+SQLite`), on PostgreSQL in one
/// statement that locks the session rows first (`BookingService+Postgres`): of N racers for the last seat
/// exactly one gets it.
///
/// A paid booking is two writes: on SQLite two jobs of the group-commit writer (many bookings share each
/// fsync), on PostgreSQL two statements shared with the concurrent bookings batched beside it. What those
/// fast paths do not write goes through `reserve` / `confirm`'s general path below.
///
/// No money is lost or taken twice across a crash (`kill -9` at any point), because every step that talks
/// to the processor is bracketed by committed rows:
/// 1. one transaction takes the seat, inserts the booking as `pending` and a `payments` row as `pending`
///    with the idempotency key the processor will know the charge by;
/// 2. the processor is called (no database lock is held meanwhile);
/// 3. one transaction confirms the booking and the payment, or, when declined, removes the pending
///    booking, frees the seat and marks the payment `failed`.
/// A crash between 1 and 3 leaves a `pending` payment, which `PaymentRecovery` resolves at start-up by
/// asking the processor what became of that key. Refunds go through the refund outbox (`RefundOutbox`).
struct BookingService: Sendable {
    let services: ControlPlaneServices

    /// Charges by outcome (`peerlearn_payments_total`): charged, declined, processor_error, unavailable.
    static func countPayment(_ outcome: String) {
        Counter(label: "peerlearn_payments_total", dimensions: [("outcome", outcome)]).increment()
    }

    static func paymentOutcome(_ error: PaymentError) -> String {
        switch error {
        case .declined: "declined"
        case .unknownCharge: "processor_error"
        case .unavailable: "unavailable"
        }
    }

    /// Counted by outcome (`peerlearn_bookings_total`): the booking's status, or the error code refusing it.
    /// Traced as `booking.create`, with the processor's call as its child `payment.charge`.
    func book(sessionID: UUID, learnerID: Int64, cardToken: String, idempotencyKey: String?) async throws -> Booking {
        try await withSpan("booking.create") { span in
            span.attributes["peerlearn.session.id"] = sessionID.uuidString
            span.attributes["peerlearn.user.id"] = Int(learnerID)
            do {
                let booking = try await bookUncounted(
                    sessionID: sessionID, learnerID: learnerID, cardToken: cardToken, idempotencyKey: idempotencyKey)
                Counter(label: "peerlearn_bookings_total", dimensions: [("outcome", booking.status.rawValue)]).increment()
                span.attributes["peerlearn.booking.outcome"] = booking.status.rawValue
                return booking
            } catch {
                let outcome = (error as? APIError)?.error ?? "error"
                Counter(label: "peerlearn_bookings_total", dimensions: [("outcome", outcome)]).increment()
                span.attributes["peerlearn.booking.outcome"] = outcome
                throw error
            }
        }
    }

    private func bookUncounted(sessionID: UUID, learnerID: Int64, cardToken: String, idempotencyKey: String?) async throws -> Booking {
        let key = "booking:\(learnerID):\(sessionID):\(idempotencyKey ?? UUID().uuidString)"
        let now = services.now()
        // Step 1: the seat, the pending booking and the pending payment, committed before the processor call.
        let reservation: Reservation
        if let writer = services.database.groupCommit {
            reservation = try await Self.reserveOnSQLite(
                writer, sessionID: sessionID, learnerID: learnerID, key: key, now: now, stamp: now)
        } else if let reserved = try await reserveOnPostgres(
            sessionID: sessionID, learnerID: learnerID, key: key, clientKey: idempotencyKey != nil, now: now) {
            reservation = reserved
        } else {
            reservation = try await reserve(sessionID: sessionID, learnerID: learnerID, key: key, clientKey: idempotencyKey != nil, now: now)
        }
        let (booking, payment, session) = (reservation.booking, reservation.payment, reservation.session)
        guard reservation.paid else { return booking }
        let priceCents = booking.paymentAmountCents

        // Step 2: the processor. A failure here leaves the pending rows; only a definite answer settles them.
        let charged: Result<PaymentCharge, PaymentError> = await withSpan("payment.charge") { span in
            span.attributes["peerlearn.payment.amount_cents"] = Int(priceCents)
            do throws(PaymentError) {
                let charge = try await services.payments.charge(amountCents: priceCents, cardToken: cardToken, idempotencyKey: key)
                span.attributes["peerlearn.payment.outcome"] = "charged"
                return .success(charge)
            } catch {
                span.attributes["peerlearn.payment.outcome"] = Self.paymentOutcome(error)
                return .failure(error)
            }
        }
        let charge: PaymentCharge
        switch charged {
        case .success(let value):
            charge = value
            Self.countPayment("charged")
        case .failure(let error):
            Self.countPayment(Self.paymentOutcome(error))
            switch error {
            case .declined(let reason):
                try await fail(payment, reason: reason)
                throw APIError.paymentRequired(reason)
            case .unknownCharge(let id):
                try await fail(payment, reason: "processor error (\(id))")
                throw APIError.paymentRequired("payment processor error (\(id))")
            case .unavailable(let reason):
                // Unknown whether money moved: the payment stays pending for PaymentRecovery to resolve.
                services.logger.error("charge for payment \(payment.id ?? 0) undetermined: \(reason)")
                throw APIError(.serviceUnavailable, "payment_unavailable", "the payment processor did not answer; try again later")
            }
        }
        // Step 3.
        guard let confirmed = try await confirm(payment, charge: charge, session: session) else {
            throw APIError.conflict("session_not_bookable", "the session was cancelled while the payment was processed; it is refunded")
        }
        return confirmed
    }

    /// What step 1 leaves for the rest of the flow.
    struct Reservation: Sendable {
        var booking: Booking
        var payment: Payment
        var session: BookedSession
        /// False for a free seat, which step 1 already confirmed and announced.
        var paid: Bool
    }

    /// The session facts the announcement needs, so later steps need not read the session again.
    struct BookedSession: Sendable {
        var id: UUID
        var title: String
        var schedule: Date
        var mentorID: Int64

        init(id: UUID, title: String, schedule: Date, mentorID: Int64) {
            (self.id, self.title, self.schedule, self.mentorID) = (id, title, schedule, mentorID)
        }

        init(_ session: LearningSession) throws {
            guard let id = session.id else { throw APIError.notFound("session") }
            self.init(id: id, title: session.title, schedule: session.schedule, mentorID: session.$mentor.id)
        }
    }

    /// The seed's "availability" branch, in the order the errors are reported; the seat itself is taken
    /// (and capacity re-checked) atomically afterwards.
    static func checkBookable(
        status: SessionStatus, isPublic: Bool, privateOwner: Int64?, learnerID: Int64, alreadyBooked: Bool,
        current: Int64, maximum: Int64
    ) throws {
        guard status != .draft else { throw APIError.notFound("session") }
        guard status == .scheduled else {
            throw APIError.conflict("session_not_bookable", "a \(status.rawValue) session cannot be booked")
        }
        // A private session arranged from a request is its learner's alone.
        if !isPublic, let privateOwner, privateOwner != learnerID {
            throw APIError.forbidden("this private session was arranged for another learner")
        }
        if alreadyBooked { throw APIError.conflict("already_booked", "you already hold a booking for this session") }
        guard current < maximum else { throw APIError.conflict("session_full", "session is full") }
    }

    /// Step 1's general path through Fluent's connection: one read for the checks (and the precise error when
    /// one fails), then one transaction for a free seat (settled and announced at once) or, on PostgreSQL,
    /// the one-statement reservation for a paid one.
    private func reserve(sessionID: UUID, learnerID: Int64, key: String, clientKey: Bool, now: Date) async throws -> Reservation {
        let db = services.db
        // One statement reads the session and whether this learner already holds a live booking for it.
        let row = try await db.sql.raw("""
            SELECT sessions.*, EXISTS (SELECT 1 FROM bookings WHERE bookings.session_id = sessions.id \
            AND bookings.learner_id = \(bind: learnerID) \
            AND bookings.status IN (\(bind: BookingStatus.pending.rawValue), \(bind: BookingStatus.confirmed.rawValue))) \
            AS already_booked FROM sessions WHERE sessions.id = \(bind: sessionID)
            """).first()
        guard let row else { throw APIError.notFound("session") }
        let session = try row.decode(fluentModel: LearningSession.self)
        // Public sessions skip the request lookup.
        let owner = session.isPublic ? nil : try await RequestService.bookableOnlyBy(sessionID: sessionID, on: db)
        try Self.checkBookable(
            status: session.status, isPublic: session.isPublic, privateOwner: owner, learnerID: learnerID,
            alreadyBooked: try row.decode(column: "already_booked", as: Bool.self),
            current: Int64(session.currentParticipants), maximum: Int64(session.maxParticipants))
        let booked = try BookedSession(session)

        let paid = session.priceCents > 0
        let template = Self.newBooking(learnerID: learnerID, sessionID: sessionID, priceCents: session.priceCents, at: now)
        let payment = Self.newPayment(learnerID: learnerID, sessionID: sessionID, amountCents: session.priceCents, key: key)
        let booking: Booking
        do {
            if paid, services.database.backend == .postgres {
                // The checks passed a moment after the one-statement reservation failed: a seat race.
                guard let reserved = try await reserveOnPostgres(
                    sessionID: sessionID, learnerID: learnerID, key: key, clientKey: clientKey, now: now) else {
                    throw APIError.conflict("session_full", "session is full")
                }
                return reserved
            } else {
                booking = try await db.transaction { tx in
                    let seat = try await tx.sql.raw("""
                        UPDATE sessions SET current_participants = current_participants + 1, updated_at = \(bind: now) \
                        WHERE id = \(bind: sessionID) AND status = \(bind: SessionStatus.scheduled.rawValue) \
                        AND current_participants < max_participants RETURNING id
                        """).all()
                    guard !seat.isEmpty else { throw APIError.conflict("session_full", "session is full") }
                    try await template.create(on: tx)
                    payment.bookingID = template.id
                    payment.id = try await Self.recordPayment(payment, stamp: now, on: tx)
                    if !paid { try await Self.announce(template, session: booked, stamp: now, on: tx) }
                    return template
                }
            }
        } catch {
            if let error = error as? any DatabaseError, error.isConstraintFailure {
                // The partial unique index caught a double booking racing this one (or its payment key).
                throw APIError.conflict("already_booked", "you already hold a booking for this session")
            }
            throw error
        }
        return Reservation(booking: booking, payment: payment, session: booked, paid: paid)
    }

    /// Inserts the payment row in one statement and returns its id. A failed earlier attempt with the same
    /// key (a retried request after a 5xx) is taken over; a pending or confirmed one is another request's,
    /// so the booking is refused (thrown inside the transaction, which undoes the seat and the booking).
    /// `created_at`/`updated_at` come from the services' clock, which `PaymentRecovery` compares with.
    private static func recordPayment(_ payment: Payment, stamp: Date, on db: any Database) async throws -> Int64 {
        let row = try await db.sql.raw("""
            INSERT INTO payments (booking_id, learner_id, session_id, amount_cents, idempotency_key, status, \
            created_at, updated_at) VALUES (\(bind: payment.bookingID), \(bind: payment.learnerID), \
            \(bind: payment.sessionID), \(bind: payment.amountCents), \(bind: payment.idempotencyKey), \
            \(bind: payment.status.rawValue), \(bind: stamp), \(bind: stamp)) \
            ON CONFLICT (idempotency_key) DO UPDATE SET booking_id = excluded.booking_id, \
            learner_id = excluded.learner_id, session_id = excluded.session_id, amount_cents = excluded.amount_cents, \
            status = excluded.status, failure_reason = NULL, updated_at = excluded.updated_at \
            WHERE payments.status = \(bind: PaymentRecordStatus.failed.rawValue) RETURNING id
            """).first()
        guard let row else { throw APIError.conflict("already_booked", "you already hold a booking for this session") }
        return try row.decode(column: "id", as: Int64.self)
    }

    /// Settles a payment the processor charged: the booking becomes confirmed and paid, or, if its session
    /// was cancelled (or the booking removed) meanwhile, the charge is queued for refund. Returns the
    /// confirmed booking, or nil when refunded. Idempotent: a payment no longer pending is left alone.
    /// `session` is the booking's session when the caller already read it (its title and time go into the
    /// email); whether it is still bookable is checked in the confirming statement either way.
    @discardableResult
    func confirm(_ payment: Payment, charge: PaymentCharge, session known: BookedSession? = nil) async throws -> Booking? {
        let now = services.now()
        if let known {
            let confirmed = if let writer = services.database.groupCommit {
                try await Self.confirmOnSQLite(writer, payment: payment, charge: charge, session: known, now: now, stamp: now)
            } else {
                try await confirmOnPostgres(payment, charge: charge, session: known, now: now)
            }
            if let confirmed { return confirmed }
        }
        // The general path: the claim, then the booking, each checked, with the rare outcomes handled below.
        let (booking, refund) = try await services.db.transaction { tx -> (Booking?, Int64?) in
            var booking: Booking?
            let claimed = try await !tx.sql.raw("""
                UPDATE payments SET status = \(bind: PaymentRecordStatus.confirmed.rawValue), \
                charge_id = \(bind: charge.id), amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
                WHERE id = \(bind: payment.id!) AND status = \(bind: PaymentRecordStatus.pending.rawValue) RETURNING id
                """).all().isEmpty
            let session = if let known { known } else { try await LearningSession.find(payment.sessionID, on: tx).map(BookedSession.init) }
            if claimed, let bookingID = payment.bookingID, let session {
                // Confirmed only while its session is not cancelled; the row comes back for the response.
                booking = try await tx.sql.raw("""
                    UPDATE bookings SET status = \(bind: BookingStatus.confirmed.rawValue), \
                    payment_status = \(bind: PaymentStatus.paid.rawValue), payment_id = \(bind: charge.id), \
                    payment_amount_cents = \(bind: charge.amountCents), updated_at = \(bind: now) \
                    WHERE id = \(bind: bookingID) AND status = \(bind: BookingStatus.pending.rawValue) \
                    AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = bookings.session_id \
                    AND sessions.status <> \(bind: SessionStatus.cancelled.rawValue)) RETURNING *
                    """).first()?.decode(fluentModel: Booking.self)
                if let booking { try await Self.announce(booking, session: session, stamp: now, on: tx) }
            }
            guard claimed else {
                // Settled by someone else. If recovery already failed it (the processor had not answered
                // after `stalePendingAfter`) while this charge went through after all, give it back.
                let current = try await Payment.find(payment.id!, on: tx)
                if let current, current.status == .failed {
                    current.chargeID = charge.id
                    try await current.save(on: tx)
                    let refund = try await RefundOutbox.enqueue(
                        chargeID: charge.id, amountCents: charge.amountCents, paymentID: current.id, now: now, on: tx)
                    return (nil, refund)
                }
                return (try await payment.bookingID.asyncFlatMap { try await Booking.find($0, on: tx) }, nil)
            }
            guard let booking else {
                // Nothing to pay for any more: the booking is cancelled (its seat went with the session)
                // and the money goes back through the outbox.
                if let bookingID = payment.bookingID {
                    try await tx.sql.raw("""
                        UPDATE bookings SET status = \(bind: BookingStatus.cancelled.rawValue), \
                        payment_status = \(bind: PaymentStatus.refunded.rawValue), payment_id = \(bind: charge.id), \
                        updated_at = \(bind: now) \
                        WHERE id = \(bind: bookingID) AND status = \(bind: BookingStatus.pending.rawValue)
                        """).run()
                }
                let refund = try await RefundOutbox.enqueue(
                    chargeID: charge.id, amountCents: charge.amountCents, paymentID: payment.id, now: now, on: tx)
                return (nil, refund)
            }
            return (booking, nil)
        }
        if let refund { await RefundDispatcher(services: services).dispatch(ids: [refund]) }
        return booking
    }

    /// Settles a payment that was not charged: the pending booking is removed (the seed's "payment error →
    /// return to form" leaves no booking behind), its seat freed, and the payment marked failed.
    func fail(_ payment: Payment, reason: String) async throws {
        let now = services.now()
        try await services.db.transaction { tx in
            let claimed = try await tx.sql.raw("""
                UPDATE payments SET status = \(bind: PaymentRecordStatus.failed.rawValue), \
                failure_reason = \(bind: String(reason.prefix(500))), booking_id = NULL, updated_at = \(bind: now) \
                WHERE id = \(bind: payment.id!) AND status = \(bind: PaymentRecordStatus.pending.rawValue) RETURNING id
                """).all()
            guard !claimed.isEmpty, let bookingID = payment.bookingID else { return }
            let removed = try await tx.sql.raw("""
                DELETE FROM bookings WHERE id = \(bind: bookingID) AND status = \(bind: BookingStatus.pending.rawValue) \
                RETURNING session_id
                """).all()
            guard !removed.isEmpty else { return }
            // A cancelled session already reset its count; decrementing again would undercount.
            try await tx.sql.raw("""
                UPDATE sessions SET current_participants = current_participants - 1, updated_at = \(bind: now) \
                WHERE id = \(bind: payment.sessionID) AND current_participants > 0 \
                AND status <> \(bind: SessionStatus.cancelled.rawValue)
                """).run()
        }
    }

    /// The side effects of a confirmed booking, in its transaction: metrics, the learner's email, the
    /// mentor's notification. Three statements and no reads: the learner's address and name are taken by
    /// the inserts themselves (`INSERT … SELECT … FROM users`), so a missing learner writes neither, as
    /// before. Rows are stamped from the services' clock.
    private static func announce(_ booking: Booking, session: BookedSession, stamp: Date, on tx: any Database) async throws {
        try await MetricsService.incrementBookings(sessionID: session.id, now: stamp, on: tx)
        let mail = Announcement(session: session, amountCents: booking.paymentAmountCents)
        try await tx.sql.raw("""
            INSERT INTO email_outbox (to_address, subject, body, kind, status, attempts, created_at) \
            SELECT email, \(bind: mail.subject), \(bind: mail.body), \(bind: Announcement.kind), \
            \(bind: EmailStatus.pending.rawValue), 0, \(bind: stamp) FROM users WHERE id = \(bind: booking.$learner.id)
            """).run()
        try await tx.sql.raw("""
            INSERT INTO notifications (user_id, title, message, notification_type, is_read, action_url, priority, \
            created_at) SELECT \(bind: session.mentorID), \(bind: Announcement.title), \
            username || \(bind: mail.booked), \(bind: NotificationType.success.rawValue), \
            \(bind: false), \(bind: mail.link), \(bind: NotificationPriority.medium.rawValue), \
            \(bind: stamp) FROM users WHERE id = \(bind: booking.$learner.id)
            """).run()
    }

    /// What a confirmed booking tells the learner (email) and the mentor (notification, prefixed with the
    /// learner's username by the insert).
    struct Announcement {
        static let kind = "booking_confirmation"
        static let title = "New booking"
        let subject: String
        let body: String
        let booked: String
        let link: String

        init(session: BookedSession, amountCents: Int64) {
            subject = "Booked: \(session.title)"
            body = "You are booked for \"\(session.title)\" at \(session.schedule.formatted(.iso8601)). "
                + "Amount paid: \(Money.decimal(amountCents))."
            booked = " booked \"\(session.title)\"."
            link = "/api/sessions/\(session.id)"
        }
    }

    /// Cancels the learner's booking: the seat is freed and a paid booking refunded (through the outbox,
    /// written in the same transaction, then attempted at once).
    func cancel(bookingID: Int64, learnerID: Int64) async throws -> Booking {
        let db = services.db
        guard let booking = try await Booking.find(bookingID, on: db) else { throw APIError.notFound("booking") }
        guard booking.$learner.id == learnerID else { throw APIError.forbidden("not your booking") }
        guard let session = try await LearningSession.find(booking.$session.id, on: db) else { throw APIError.notFound("session") }
        guard session.status == .scheduled else {
            throw APIError.conflict("session_not_cancellable", "bookings of a \(session.status.rawValue) session cannot be cancelled")
        }
        let now = services.now()
        let charge = booking.paymentStatus == .paid && booking.paymentAmountCents > 0 ? booking.paymentID : nil
        let refund = try await db.transaction { tx -> Int64? in
            let sql = tx.sql
            // Conditional, so a double cancel frees one seat, not two.
            let rows = try await sql.raw("""
                UPDATE bookings SET status = \(bind: BookingStatus.cancelled.rawValue), \
                payment_status = \(bind: (charge == nil ? booking.paymentStatus : .refunded).rawValue), \
                updated_at = \(bind: now) \
                WHERE id = \(bind: bookingID) AND status = \(bind: BookingStatus.confirmed.rawValue) RETURNING id
                """).all()
            guard !rows.isEmpty else { throw APIError.conflict("booking_not_active", "booking is already \(booking.status.rawValue)") }
            try await sql.raw("""
                UPDATE sessions SET current_participants = current_participants - 1, updated_at = \(bind: now) \
                WHERE id = \(bind: session.id!) AND current_participants > 0
                """).run()
            if let learner = try await User.find(learnerID, on: tx) {
                try await EmailOutbox.enqueue(
                    to: learner.email, subject: "Cancelled: \(session.title)",
                    body: "Your booking for \"\(session.title)\" is cancelled\(charge == nil ? "" : " and refunded").",
                    kind: "booking_cancelled", on: tx)
                try await Notifier.notify(
                    session.$mentor.id, title: "Booking cancelled",
                    message: "\(learner.username) cancelled their booking for \"\(session.title)\".", on: tx)
            }
            guard let charge else { return nil }
            return try await RefundOutbox.enqueue(
                chargeID: charge, amountCents: booking.paymentAmountCents, now: now, on: tx)
        }
        if let refund { await RefundDispatcher(services: services).dispatch(ids: [refund]) }
        return try await Booking.find(bookingID, on: db) ?? booking
    }
}

extension Optional {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
