import FluentKit
import FluentSQL
import Foundation

/// Applies status transitions. Each is one conditional UPDATE (`… WHERE status IN (allowed)`), so two racing
/// transitions cannot both succeed, with its side effects in the same transaction. Completing or cancelling
/// then ends the session's live room (`SessionEndHook`), after the commit.
struct SessionLifecycle: Sendable {
    let services: ControlPlaneServices

    func apply(_ transition: SessionTransition, sessionID: UUID, callerID: Int64) async throws -> LearningSession {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db) else { throw APIError.notFound("session") }
        guard session.$mentor.id == callerID else {
            throw APIError.forbidden("only the session's mentor may \(transition.rawValue) it")
        }
        if transition == .schedule, session.status == .draft, session.schedule <= services.now() {
            // Publishing a session nobody can attend any more helps no one: move its date first.
            throw APIError.unprocessable("schedule is in the past; update it before publishing")
        }
        return try await perform(transition, on: session)
    }

    /// A transition the server makes by itself (`SessionAutopilot`: the mentor connected, or the session
    /// ran past its end): the same conditional UPDATE and side effects, no caller to check. Nil when the
    /// session already moved on (a racing mentor or another sweep won).
    @discardableResult
    func applyAutomatically(_ transition: SessionTransition, sessionID: UUID, because reason: String) async throws -> LearningSession? {
        guard let session = try await LearningSession.find(sessionID, on: services.db) else { return nil }
        do {
            return try await perform(transition, on: session, reason: reason)
        } catch let error as APIError where error.error == "illegal_transition" {
            return nil
        }
    }

    private func perform(_ transition: SessionTransition, on session: LearningSession, reason: String? = nil) async throws -> LearningSession {
        let db = services.db
        let sessionID = session.id!
        let now = services.now()
        let refunds = try await db.transaction { tx -> [Int64] in
            let allowed = transition.allowedFrom.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let rows = try await tx.sql.raw("""
                UPDATE sessions SET status = \(bind: transition.target.rawValue), updated_at = \(bind: now) \
                WHERE id = \(bind: sessionID) AND status IN (\(unsafeRaw: allowed)) RETURNING id
                """).all()
            guard !rows.isEmpty else {
                let current = try await LearningSession.find(sessionID, on: tx)?.status ?? session.status
                throw APIError.conflict(
                    "illegal_transition", "cannot \(transition.rawValue) a \(current.rawValue) session")
            }
            if let ending = transition.endsRoom {
                // In the transaction: the relay node holding the room hears of it exactly when it commits.
                try await RelayRegistry.release(roomID: session.meetingRoomID, on: tx)
                try await services.database.publish(RoomEvent(roomID: session.meetingRoomID, ended: ending.rawValue), on: tx)
            }
            switch transition {
            case .schedule: try await notifyFollowers(session, on: tx)
            case .start: try await notifyLearners(session, title: "Session started", on: tx)
            case .complete: try await complete(session, on: tx)
            case .cancel: return try await cancel(session, now: now, reason: reason, on: tx)
            }
            return []
        }
        // Money moves back only once the cancellation is committed (the refund outbox retries failures).
        await RefundDispatcher(services: services).dispatch(ids: refunds)
        // The room ends only once the transition is committed: a rolled-back one must not end a live session,
        // and by now admission refuses new joins to the room.
        if let reason = transition.endsRoom {
            await services.sessionEnd.sessionEnded(roomID: session.meetingRoomID, reason: reason)
        }
        return try await LearningSession.find(sessionID, on: db) ?? session
    }

    private func confirmedBookings(_ session: LearningSession, on db: any Database) async throws -> [Booking] {
        try await Booking.query(on: db).filter(\.$session.$id == session.id!).filter(\.$status == .confirmed).all()
    }

    private func notifyFollowers(_ session: LearningSession, on db: any Database) async throws {
        let followers = try await Follow.query(on: db)
            .filter(\.$mentor.$id == session.$mentor.id).filter(\.$isActive == true).all(\.$follower.$id)
        for follower in followers {
            try await Notices.send(
                to: follower, title: "New session", message: "A mentor you follow scheduled \"\(session.title)\".",
                actionURL: "/api/sessions/\(session.id!)", on: db)
        }
    }

    private func notifyLearners(_ session: LearningSession, title: String, on db: any Database) async throws {
        for booking in try await confirmedBookings(session, on: db) {
            try await Notices.send(
                to: booking.$learner.id, title: title, message: "\"\(session.title)\": \(title.lowercased()).",
                priority: .high, actionURL: "/api/sessions/\(session.id!)", on: db)
        }
    }

    /// Bookings become completed; learners who never joined are absent; metrics learn the completion rate;
    /// attendees are asked for feedback (the seed's video flow ends with "System requests feedback").
    private func complete(_ session: LearningSession, on db: any Database) async throws {
        let bookings = try await confirmedBookings(session, on: db)
        var attended = 0
        for booking in bookings {
            booking.status = .completed
            if booking.joinedAt == nil {
                booking.attendanceStatus = .absent
            } else {
                attended += 1
                try await Notices.send(
                    to: booking.$learner.id, title: "How was it?",
                    message: "Rate \"\(session.title)\" to help other learners.",
                    actionURL: "/api/sessions/\(session.id!)/feedback",
                    email: .init(
                        subject: "How was \(session.title)?",
                        body: "Thanks for joining \"\(session.title)\". Rate it in PeerLearn to help other learners.",
                        kind: "feedback_request"),
                    on: db)
            }
            try await booking.save(on: db)
        }
        let rate = bookings.isEmpty ? 0 : Double(attended) / Double(bookings.count)
        try await MetricsService.setCompletionRate(rate, sessionID: session.id!, on: db)
    }

    /// Cancels every live booking, frees the seats and queues their refunds (refund outbox ids).
    private func cancel(_ session: LearningSession, now: Date, reason: String?, on db: any Database) async throws -> [Int64] {
        let why = reason ?? "was cancelled by the mentor"
        var refunds: [Int64] = []
        for booking in try await confirmedBookings(session, on: db) {
            booking.status = .cancelled
            if booking.paymentStatus == .paid, let charge = booking.paymentID, booking.paymentAmountCents > 0 {
                booking.paymentStatus = .refunded
                refunds.append(try await RefundOutbox.enqueue(
                    chargeID: charge, amountCents: booking.paymentAmountCents, now: now, on: db))
            }
            try await booking.save(on: db)
            try await Notices.send(
                to: booking.$learner.id, title: "Session cancelled",
                message: "\"\(session.title)\" \(why); your payment is refunded.",
                type: .warning, priority: .high,
                email: .init(
                    subject: "Cancelled: \(session.title)",
                    body: "The session \"\(session.title)\" \(why). Any payment has been refunded.",
                    kind: "session_cancelled"),
                on: db)
        }
        try await db.sql.raw(
            "UPDATE sessions SET current_participants = 0 WHERE id = \(bind: session.id!)").run()
        return refunds
    }
}
