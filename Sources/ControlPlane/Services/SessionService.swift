import FluentKit
import FluentSQL
import Foundation

/// A mentor's sessions: creating and editing them (booked learners told of a new date), and reading one,
/// which counts a view. Status transitions are `SessionLifecycle`'s; browsing is `SessionCatalog`'s.
struct SessionService: Sendable {
    let services: ControlPlaneServices

    struct Draft: Decodable {
        var title: String
        var description: String
        var schedule: Date
        var duration: Int
        var maxParticipants: Int?
        var skillsRequired: [String]?
        var price: Decimal?
        var isPublic: Bool?
    }

    struct Edit: Decodable {
        var title: String?
        var description: String?
        var schedule: Date?
        var duration: Int?
        var maxParticipants: Int?
        var skillsRequired: [String]?
        var price: Decimal?
        var isPublic: Bool?
    }

    /// 128 random bits: unguessable, so knowing a room id alone grants nothing (tokens do).
    static func newRoomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "room-" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// A session `viewerID` may see (drafts only to their mentor; everything else to anyone with the id),
    /// as it was before this view was counted.
    func view(_ id: UUID, viewerID: Int64?) async throws -> LearningSession {
        guard let session = try await LearningSession.find(id, on: services.db) else { throw APIError.notFound("session") }
        if session.status == .draft, session.$mentor.id != viewerID { throw APIError.notFound("session") }
        try await MetricsService.incrementViews(sessionID: id, on: services.db)
        return session
    }

    func create(_ input: Draft, mentorID: Int64) async throws -> SessionResponse {
        let skills = Validator.tags(input.skillsRequired)
        let priceCents = Money.cents(input.price ?? 0)
        let title = input.title.trimmingCharacters(in: .whitespacesAndNewlines)
        var validator = Validator()
        validator.require((1...200).contains(title.count), "title must be 1-200 characters")
        validator.require(!input.description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "description is required")
        validator.require(input.schedule > services.now(), "schedule must be in the future")
        validator.require((1...1440).contains(input.duration), "duration must be 1-1440 minutes")
        validator.require((1...1000).contains(input.maxParticipants ?? 10), "max_participants must be 1-1000")
        validator.require(priceCents != nil, "price must be >= 0 with at most 2 decimals")
        validator.require(skills != nil, "skills_required: at most 50 tags of at most 50 characters")
        try validator.check()

        let session = LearningSession()
        session.id = UUID()
        session.title = title
        session.description = input.description
        session.$mentor.id = mentorID
        session.schedule = input.schedule
        session.duration = input.duration
        session.maxParticipants = input.maxParticipants ?? 10
        session.currentParticipants = 0
        session.status = .draft
        session.meetingRoomID = Self.newRoomID()
        session.skillsRequired = skills
        session.priceCents = priceCents!
        session.isPublic = input.isPublic ?? true
        try await services.db.transaction { tx in
            try await session.create(on: tx)
            // Every session has exactly one metrics row from birth (the ERD's total participation).
            try await PopularityMetrics(sessionID: session.id!).create(on: tx)
        }
        return SessionResponse(session)
    }

    func update(_ id: UUID, _ input: Edit, callerID: Int64) async throws -> SessionResponse {
        let db = services.db
        guard let session = try await LearningSession.find(id, on: db) else { throw APIError.notFound("session") }
        guard session.$mentor.id == callerID else { throw APIError.forbidden("only the session's mentor may edit it") }
        guard session.status == .draft || session.status == .scheduled else {
            throw APIError.conflict("session_locked", "a \(session.status.rawValue) session can no longer be edited")
        }
        let previousSchedule = session.schedule
        var validator = Validator()
        if let title = input.title?.trimmingCharacters(in: .whitespacesAndNewlines) {
            validator.require((1...200).contains(title.count), "title must be 1-200 characters")
            session.title = title
        }
        if let description = input.description {
            validator.require(!description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "description is required")
            session.description = description
        }
        if let schedule = input.schedule {
            validator.require(schedule > services.now(), "schedule must be in the future")
            session.schedule = schedule
        }
        if let duration = input.duration {
            validator.require((1...1440).contains(duration), "duration must be 1-1440 minutes")
            session.duration = duration
        }
        if let maxParticipants = input.maxParticipants {
            validator.require((1...1000).contains(maxParticipants), "max_participants must be 1-1000")
            session.maxParticipants = maxParticipants
        }
        if input.skillsRequired != nil {
            let skills = Validator.tags(input.skillsRequired)
            validator.require(skills != nil, "skills_required: at most 50 tags of at most 50 characters")
            session.skillsRequired = skills
        }
        if let price = input.price {
            let cents = Money.cents(price)
            validator.require(cents != nil, "price must be >= 0 with at most 2 decimals")
            if let cents {
                // Booked learners paid the old price; changing it under them is not allowed.
                validator.require(cents == session.priceCents || session.currentParticipants == 0,
                                  "price cannot change once learners have booked")
                session.priceCents = cents
            }
        }
        if let isPublic = input.isPublic { session.isPublic = isPublic }
        try validator.check()
        if let maxParticipants = input.maxParticipants {
            // Conditional so a booking racing this edit cannot leave more learners than seats.
            let rows = try await db.sql.raw("""
                UPDATE sessions SET max_participants = \(bind: maxParticipants) \
                WHERE id = \(bind: id) AND current_participants <= \(bind: maxParticipants) RETURNING id
                """).all()
            guard !rows.isEmpty else {
                throw APIError.conflict("below_bookings", "max_participants cannot go below the seats already booked")
            }
        }
        let rescheduled = session.schedule != previousSchedule
        try await db.transaction { tx in
            try await session.save(on: tx)
            if rescheduled, session.status == .scheduled {
                try await notifyRescheduled(session, on: tx)
            }
        }
        // Re-read: counters may have moved while we edited.
        return SessionResponse(try await LearningSession.find(id, on: db) ?? session)
    }

    /// Booked learners hear about a new date in the app and by email.
    private func notifyRescheduled(_ session: LearningSession, on db: any Database) async throws {
        let bookings = try await Booking.query(on: db).filter(\.$session.$id == session.id!).filter(\.$status == .confirmed).all()
        let when = session.schedule.formatted(.iso8601)
        for booking in bookings {
            try await Notices.send(
                to: booking.$learner.id, title: "Session rescheduled",
                message: "\"\(session.title)\" now starts at \(when).",
                type: .warning, priority: .high, actionURL: "/api/sessions/\(session.id!)",
                email: .init(subject: "Rescheduled: \(session.title)",
                             body: "\"\(session.title)\" now starts at \(when).", kind: "session_rescheduled"),
                on: db)
        }
    }
}
