import Foundation
import Hummingbird

/// `GET /api/sessions/{id}/metrics`: the session's popularity metrics and the formula behind the score.
struct MetricsRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("sessions/:id/metrics") { _, context in
            let sessionID = try SessionRoutes.sessionID(context)
            return MetricsResponse(try await StatisticsService(services: self.services).popularity(sessionID: sessionID))
        }
    }
}
