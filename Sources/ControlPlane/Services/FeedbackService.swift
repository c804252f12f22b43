import FluentKit
import Foundation

/// Feedback: only once the session is completed, only by its mentor or a learner who attended, one per
/// user per session; anonymous feedback hides its author. Each entry moves the session's ratings.
struct FeedbackService: Sendable {
    let services: ControlPlaneServices

    struct Entry: Decodable {
        var rating: Int
        var comment: String?
        var isAnonymous: Bool?
    }

    func create(_ input: Entry, sessionID: UUID, callerID: Int64) async throws -> FeedbackResponse {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db) else { throw APIError.notFound("session") }
        var validator = Validator()
        validator.require((1...5).contains(input.rating), "rating must be 1-5")
        validator.require((input.comment ?? "").count <= 5000, "comment is longer than 5000 characters")
        try validator.check()
        let type: FeedbackType
        if session.$mentor.id == callerID {
            type = .mentorFeedback
        } else {
            let attended = try await Booking.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$learner.$id == callerID)
                .filter(\.$status == .completed).filter(\.$attendanceStatus ~~ [.present, .late]).first()
            guard attended != nil else {
                throw APIError.forbidden("only the mentor or a learner who attended may give feedback")
            }
            type = .learnerFeedback
        }
        guard session.status == .completed else {
            throw APIError.conflict("session_not_completed", "feedback opens once the session is completed")
        }
        if try await Feedback.query(on: db).filter(\.$session.$id == sessionID).filter(\.$user.$id == callerID).first() != nil {
            throw APIError.conflict("feedback_exists", "you already gave feedback for this session")
        }
        let feedback = Feedback()
        feedback.$session.id = sessionID
        feedback.$user.id = callerID
        feedback.rating = input.rating
        feedback.comment = input.comment
        feedback.feedbackType = type
        feedback.isAnonymous = input.isAnonymous ?? false
        try await db.transaction { tx in
            try await feedback.create(on: tx)
            try await MetricsService.refreshRating(sessionID: sessionID, on: tx)
        }
        return FeedbackResponse(feedback)
    }

    /// A session's public feedback, newest first. Entries staff hid stay in the table (and in the rating)
    /// but leave this list.
    func list(sessionID: UUID) async throws -> [Feedback] {
        try await Feedback.query(on: services.db).filter(\.$session.$id == sessionID)
            .group(.or) { $0.filter(\.$isHidden == nil).filter(\.$isHidden == false) }
            .sort(\.$createdAt, .descending).all()
    }
}
