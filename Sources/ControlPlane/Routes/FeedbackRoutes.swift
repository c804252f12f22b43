import Foundation
import Hummingbird

/// `POST/GET /api/sessions/{id}/feedback` (`FeedbackService`).
struct FeedbackRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let feedback = FeedbackService(services: services)
        api.post("sessions/:id/feedback") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decode(as: FeedbackService.Entry.self, context: context)
            return EditedResponse(status: .created, response: try await feedback.create(
                input, sessionID: try SessionRoutes.sessionID(context), callerID: caller.id))
        }
        api.get("sessions/:id/feedback") { _, context in
            let entries = try await feedback.list(sessionID: try SessionRoutes.sessionID(context))
            return try BookingRoutes.jsonResponse(entries.map(FeedbackResponse.init))
        }
    }
}
