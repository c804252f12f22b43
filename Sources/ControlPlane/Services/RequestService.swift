import FluentKit
import FluentSQL
import Foundation

/// Mentorship requests (the seed's REQUESTS): a learner asks a mentor; the mentor declines, or accepts,
/// which arranges a private one-seat session for the requested time, priced from the mentor's
/// `hourly_rate` × the duration, and links the request to it. The learner is booked into it through the
/// ordinary booking flow (its payment step and decline path): at once when it is free, else by paying
/// from the link they are sent; nobody else may book it.
struct RequestService: Sendable {
    let services: ControlPlaneServices

    struct Acceptance: Sendable {
        var responseMessage: String?
        /// Overrides the learner's preferred time (needed when they gave none or it has passed).
        var schedule: Date?
    }

    func respond(id: Int64, mentorID: Int64, status: RequestStatus, message: String?, schedule: Date? = nil) async throws -> MentorshipRequest {
        try await RequestExpiry(services: services).expireStale()
        let db = services.db
        guard let request = try await MentorshipRequest.find(id, on: db) else { throw APIError.notFound("request") }
        guard request.$mentor.id == mentorID else { throw APIError.forbidden("this request was sent to another mentor") }
        guard request.status == .pending else {
            throw APIError.conflict(request.status == .expired ? "request_expired" : "request_closed",
                                    "request is already \(request.status.rawValue)")
        }
        guard (message ?? "").count <= 5000 else { throw APIError.unprocessable("response_message is longer than 5000 characters") }
        let now = services.now()
        let session = status == .accepted ? try await privateSession(for: request, schedule: schedule, now: now) : nil
        try await db.transaction { tx in
            // The session first (the request's link to it is a foreign key); a lost race rolls it back.
            if let session {
                try await session.create(on: tx)
                try await PopularityMetrics(sessionID: session.id!).create(on: tx)
            }
            // Pending → answered exactly once, whatever races it (a second click, the expiry sweep).
            let claimed = try await tx.sql.raw("""
                UPDATE requests SET status = \(bind: status.rawValue), response_message = \(bind: message), \
                responded_at = \(bind: now), session_id = \(bind: session?.id) \
                WHERE id = \(bind: id) AND status = 'pending' RETURNING id
                """).all()
            guard !claimed.isEmpty else { throw APIError.conflict("request_closed", "request was answered meanwhile") }
            try await notifyBoth(request, status: status, message: message, session: session, on: tx)
        }
        // A free session needs no payment step: the learner is booked at once, through the same flow.
        if let session, session.priceCents == 0 {
            _ = try await BookingService(services: services).book(
                sessionID: session.id!, learnerID: request.$learner.id, cardToken: "", idempotencyKey: "request-\(id)")
        }
        return try await MentorshipRequest.find(id, on: db) ?? request
    }

    /// The session an acceptance creates: scheduled (bookable), private, one seat, priced by the hour.
    private func privateSession(for request: MentorshipRequest, schedule: Date?, now: Date) async throws -> LearningSession {
        guard let start = schedule ?? request.preferredSchedule else {
            throw APIError.unprocessable("schedule is required: the learner gave no preferred time")
        }
        guard start > now else { throw APIError.unprocessable("schedule must be in the future") }
        let duration = request.durationRequested ?? 60
        guard (1...1440).contains(duration) else { throw APIError.unprocessable("duration_requested must be 1-1440 minutes") }
        guard let mentor = try await User.find(request.$mentor.id, on: services.db) else { throw APIError.notFound("mentor") }
        let rate = max(0, mentor.hourlyRateCents ?? 0)
        let (product, overflow) = rate.multipliedReportingOverflow(by: Int64(duration))
        guard !overflow, product <= Int64(Int.max) - 30 else { throw APIError.unprocessable("hourly_rate × duration is too large") }
        let session = LearningSession()
        session.id = UUID()
        session.title = request.subject
        session.description = request.message
        session.$mentor.id = request.$mentor.id
        session.schedule = start
        session.duration = duration
        session.maxParticipants = 1
        session.currentParticipants = 0
        session.status = .scheduled
        session.meetingRoomID = SessionRoutes.newRoomID()
        session.skillsRequired = []
        session.priceCents = (product + 30) / 60  // to the nearest cent
        session.isPublic = false
        return session
    }

    private func notifyBoth(
        _ request: MentorshipRequest, status: RequestStatus, message: String?, session: LearningSession?, on tx: any Database
    ) async throws {
        let learnerID = request.$learner.id
        guard let session else {
            try await Notifier.notify(
                learnerID, title: "Request \(status.rawValue)",
                message: message ?? "Your request \"\(request.subject)\" was \(status.rawValue).", type: .info, on: tx)
            return
        }
        let when = session.schedule.formatted(.iso8601)
        let price = "$\(Money.decimal(session.priceCents))"
        let next = session.priceCents == 0 ? "You are booked." : "Book it (\(price)) to confirm your seat."
        try await Notifier.notify(
            learnerID, title: "Request accepted",
            message: message ?? "\"\(request.subject)\" is arranged for \(when). \(next)",
            type: .success, priority: .high, actionURL: "/api/sessions/\(session.id!)", on: tx)
        try await Notifier.notify(
            request.$mentor.id, title: "Private session arranged",
            message: "\"\(request.subject)\" on \(when), \(session.duration) min, \(price).",
            actionURL: "/api/sessions/\(session.id!)", on: tx)
        if let learner = try await User.find(learnerID, on: tx) {
            try await EmailOutbox.enqueue(
                to: learner.email, subject: "Accepted: \(request.subject)",
                body: "Your request \"\(request.subject)\" was accepted: a private session on \(when) "
                    + "(\(session.duration) min, \(price)). \(next)",
                kind: "request_accepted", on: tx)
        }
    }

    /// A session arranged from a request is booked only by the learner who asked.
    static func bookableOnlyBy(sessionID: UUID, on db: any Database) async throws -> Int64? {
        try await MentorshipRequest.query(on: db).filter(\.$session.$id == sessionID).first()?.$learner.id
    }
}
