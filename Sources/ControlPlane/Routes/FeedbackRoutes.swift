import FluentKit
import Foundation
import Hummingbird

/// Feedback: only once the session is completed, only by its mentor or a learner who attended, one per
/// user per session; anonymous feedback hides its author.
struct FeedbackRoutes: Sendable {
    let services: ControlPlaneServices

    struct CreateInput: Decodable {
        var rating: Int
        var comment: String?
        var isAnonymous: Bool?
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("sessions/:id/feedback") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decode(as: CreateInput.self, context: context)
            return EditedResponse(status: .created, response: try await self.create(
                input, sessionID: try SessionRoutes.sessionID(context), caller: caller))
        }
        api.get("sessions/:id/feedback") { _, context in
            let sessionID = try SessionRoutes.sessionID(context)
            // Entries staff hid stay in the table (and in the rating) but leave the public list.
            let feedback = try await Feedback.query(on: self.services.db).filter(\.$session.$id == sessionID)
                .group(.or) { $0.filter(\.$isHidden == nil).filter(\.$isHidden == false) }
                .sort(\.$createdAt, .descending).all()
            return try BookingRoutes.jsonResponse(feedback.map(FeedbackResponse.init))
        }
    }

    func create(_ input: CreateInput, sessionID: UUID, caller: AuthenticatedUser) async throws -> FeedbackResponse {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db) else { throw APIError.notFound("session") }
        var validator = Validator()
        validator.require((1...5).contains(input.rating), "rating must be 1-5")
        validator.require((input.comment ?? "").count <= 5000, "comment is longer than 5000 characters")
        try validator.check()
        let type: FeedbackType
        if session.$mentor.id == caller.id {
            type = .mentorFeedback
        } else {
            let attended = try await Booking.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$learner.$id == caller.id)
                .filter(\.$status == .completed).filter(\.$attendanceStatus ~~ [.present, .late]).first()
            guard attended != nil else {
                throw APIError.forbidden("only the mentor or a learner who attended may give feedback")
            }
            type = .learnerFeedback
        }
        guard session.status == .completed else {
            throw APIError.conflict("session_not_completed", "feedback opens once the session is completed")
        }
        if try await Feedback.query(on: db).filter(\.$session.$id == sessionID).filter(\.$user.$id == caller.id).first() != nil {
            throw APIError.conflict("feedback_exists", "you already gave feedback for this session")
        }
        let feedback = Feedback()
        feedback.$session.id = sessionID
        feedback.$user.id = caller.id
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
}
