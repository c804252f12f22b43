import FluentKit
import FluentSQL
import Foundation

/// The seed's booking flow: availability → payment → booking record → confirmation email → mentor notified.
///
/// Capacity holds under concurrency because the seat is taken by one conditional statement,
/// `UPDATE sessions SET current_participants = current_participants + 1 WHERE … < max_participants`,
/// in the same transaction as the booking insert: of N racers for the last seat exactly one sees a row come
/// back. The charge happens before that transaction (a processor call must not hold a database lock) and is
/// refunded if the seat is lost.
struct BookingService: Sendable {
    let services: ControlPlaneServices

    func book(sessionID: UUID, learnerID: Int64, cardToken: String, idempotencyKey: String?) async throws -> Booking {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db), session.status != .draft else {
            throw APIError.notFound("session")
        }
        guard session.status == .scheduled else {
            throw APIError.conflict("session_not_bookable", "a \(session.status.rawValue) session cannot be booked")
        }
        if try await liveBooking(sessionID: sessionID, learnerID: learnerID, on: db) != nil {
            throw APIError.conflict("already_booked", "you already hold a booking for this session")
        }
        // Availability (the seed's "Session Full" branch) before any money moves; re-checked atomically below.
        guard session.currentParticipants < session.maxParticipants else {
            throw APIError.conflict("session_full", "session is full")
        }

        var charge: PaymentCharge?
        if session.priceCents > 0 {
            do {
                charge = try await services.payments.charge(
                    amountCents: session.priceCents, cardToken: cardToken,
                    idempotencyKey: "booking:\(learnerID):\(sessionID):\(idempotencyKey ?? UUID().uuidString)")
            } catch {
                switch error {
                case .declined(let reason): throw APIError.paymentRequired(reason)
                case .unknownCharge(let id): throw APIError.paymentRequired("payment processor error (\(id))")
                }
            }
        }

        let now = services.now()
        let paid = charge
        do {
            return try await db.transaction { tx in
                let seat = try await tx.sql.raw("""
                    UPDATE sessions SET current_participants = current_participants + 1, updated_at = \(bind: now) \
                    WHERE id = \(bind: sessionID) AND status = \(bind: SessionStatus.scheduled.rawValue) \
                    AND current_participants < max_participants RETURNING id
                    """).all()
                guard !seat.isEmpty else { throw APIError.conflict("session_full", "session is full") }

                let booking = Booking()
                booking.$learner.id = learnerID
                booking.$session.id = sessionID
                booking.status = .confirmed
                booking.paymentStatus = .paid
                booking.paymentID = paid?.id
                booking.paymentAmountCents = paid?.amountCents ?? 0
                booking.bookingTime = now
                booking.isReady = false
                try await booking.create(on: tx)

                try await MetricsService.incrementBookings(sessionID: sessionID, on: tx)
                if let learner = try await User.find(learnerID, on: tx) {
                    try await EmailOutbox.enqueue(
                        to: learner.email, subject: "Booked: \(session.title)",
                        body: "You are booked for \"\(session.title)\" at \(session.schedule.formatted(.iso8601)). "
                            + "Amount paid: \(Money.decimal(booking.paymentAmountCents)).",
                        kind: "booking_confirmation", on: tx)
                    try await Notifier.notify(
                        session.$mentor.id, title: "New booking",
                        message: "\(learner.username) booked \"\(session.title)\".", type: .success,
                        actionURL: "/api/sessions/\(sessionID)", on: tx)
                }
                return booking
            }
        } catch {
            // Seat lost (or any failure after the charge): give the money back before answering.
            if let charge {
                do { try await services.payments.refund(chargeID: charge.id) } catch {
                    services.logger.error("refund of \(charge.id) failed: \(error)")
                }
            }
            if let error = error as? any DatabaseError, error.isConstraintFailure {
                // The partial unique index caught a double booking racing this one.
                throw APIError.conflict("already_booked", "you already hold a booking for this session")
            }
            throw error
        }
    }

    /// Cancels the learner's booking: the seat is freed and a paid booking refunded.
    func cancel(bookingID: Int64, learnerID: Int64) async throws -> Booking {
        let db = services.db
        guard let booking = try await Booking.find(bookingID, on: db) else { throw APIError.notFound("booking") }
        guard booking.$learner.id == learnerID else { throw APIError.forbidden("not your booking") }
        guard let session = try await LearningSession.find(booking.$session.id, on: db) else { throw APIError.notFound("session") }
        guard session.status == .scheduled else {
            throw APIError.conflict("session_not_cancellable", "bookings of a \(session.status.rawValue) session cannot be cancelled")
        }
        let now = services.now()
        let refund = booking.paymentStatus == .paid && booking.paymentAmountCents > 0 ? booking.paymentID : nil
        try await db.transaction { tx in
            let sql = tx.sql
            // Conditional, so a double cancel frees one seat, not two.
            let rows = try await sql.raw("""
                UPDATE bookings SET status = \(bind: BookingStatus.cancelled.rawValue), \
                payment_status = \(bind: (refund == nil ? booking.paymentStatus : .refunded).rawValue), \
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
                    body: "Your booking for \"\(session.title)\" is cancelled\(refund == nil ? "" : " and refunded").",
                    kind: "booking_cancelled", on: tx)
                try await Notifier.notify(
                    session.$mentor.id, title: "Booking cancelled",
                    message: "\(learner.username) cancelled their booking for \"\(session.title)\".", on: tx)
            }
        }
        if let refund { try? await services.payments.refund(chargeID: refund) }
        return try await Booking.find(bookingID, on: db) ?? booking
    }

    func liveBooking(sessionID: UUID, learnerID: Int64, on db: any Database) async throws -> Booking? {
        try await Booking.query(on: db)
            .filter(\.$session.$id == sessionID).filter(\.$learner.$id == learnerID)
            .filter(\.$status ~~ [.pending, .confirmed]).first()
    }
}
