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

    struct Ask: Decodable {
        var mentorId: Int64
        var subject: String
        var message: String
        var preferredSchedule: Date?
        var durationRequested: Int?
    }

    /// A learner asks a mentor; the mentor is told in the app.
    func create(_ input: Ask, learnerID: Int64) async throws -> MentorshipRequest {
        let subject = input.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        var validator = Validator()
        validator.require((1...200).contains(subject.count), "subject must be 1-200 characters")
        validator.require(!input.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "message is required")
        validator.require(input.message.count <= 5000, "message is longer than 5000 characters")
        validator.require(input.durationRequested.map { (1...1440).contains($0) } ?? true, "duration_requested must be 1-1440 minutes")
        validator.require(input.preferredSchedule.map { $0 > services.now() } ?? true, "preferred_schedule must be in the future")
        try validator.check()
        let db = services.db
        guard let mentor = try await User.find(input.mentorId, on: db), mentor.isActive else { throw APIError.notFound("mentor") }
        guard mentor.role == .mentor else { throw APIError.unprocessable("mentor_id does not name a mentor") }
        let request = MentorshipRequest()
        request.$learner.id = learnerID
        request.$mentor.id = input.mentorId
        request.subject = subject
        request.message = input.message
        request.preferredSchedule = input.preferredSchedule
        request.durationRequested = input.durationRequested
        request.status = .pending
        request.createdAt = services.now()
        try await db.transaction { tx in
            try await request.create(on: tx)
            try await Notices.send(
                to: input.mentorId, title: "New request", message: "A learner asks: \(subject)",
                actionURL: "/api/requests", on: tx)
        }
        return request
    }

    /// The requests a mentor received or a learner sent, newest first, after expiring what ran out.
    func list(for caller: AuthenticatedUser) async throws -> [MentorshipRequest] {
        try await RequestExpiry(services: services).expireStale()
        let query = MentorshipRequest.query(on: services.db)
        return try await (caller.role == .mentor
            ? query.filter(\.$mentor.$id == caller.id) : query.filter(\.$learner.$id == caller.id))
            .sort(\.$createdAt, .descending).all()
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
        session.meetingRoomID = SessionService.newRoomID()
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
            try await Notices.send(
                to: learnerID, title: "Request \(status.rawValue)",
                message: message ?? "Your request \"\(request.subject)\" was \(status.rawValue).", type: .info, on: tx)
            return
        }
        let when = session.schedule.formatted(.iso8601)
        let price = "$\(Money.decimal(session.priceCents))"
        let next = session.priceCents == 0 ? "You are booked." : "Book it (\(price)) to confirm your seat."
        try await Notices.send(
            to: learnerID, title: "Request accepted",
            message: message ?? "\"\(request.subject)\" is arranged for \(when). \(next)",
            type: .success, priority: .high, actionURL: "/api/sessions/\(session.id!)",
            email: .init(
                subject: "Accepted: \(request.subject)",
                body: "Your request \"\(request.subject)\" was accepted: a private session on \(when) "
                    + "(\(session.duration) min, \(price)). \(next)",
                kind: "request_accepted"),
            on: tx)
        try await Notices.send(
            to: request.$mentor.id, title: "Private session arranged",
            message: "\"\(request.subject)\" on \(when), \(session.duration) min, \(price).",
            actionURL: "/api/sessions/\(session.id!)", on: tx)
    }

    /// A session arranged from a request is booked only by the learner who asked.
    static func bookableOnlyBy(sessionID: UUID, on db: any Database) async throws -> Int64? {
        try await MentorshipRequest.query(on: db).filter(\.$session.$id == sessionID).first()?.$learner.id
    }
}
