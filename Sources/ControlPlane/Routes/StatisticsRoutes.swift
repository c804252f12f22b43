import Foundation
import Hummingbird

/// `GET /api/sessions/{id}/statistics`: the relay's measurements, for the session's mentor (`StatisticsService`).
struct StatisticsRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("sessions/:id/statistics") { _, context in
            let caller = try context.requireCaller()
            let view = try await StatisticsService(services: self.services)
                .statistics(sessionID: try SessionRoutes.sessionID(context), mentorID: caller.id)
            return try BookingRoutes.jsonResponse(view)
        }
    }
}
