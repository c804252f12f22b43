import Foundation
import Hummingbird

/// `POST /api/sessions/{id}/room-token`.
struct RoomTokenRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("sessions/:id/room-token") { _, context in
            let caller = try context.requireCaller()
            try self.services.limitAccount("room-token", String(caller.id))
            return try await RoomTokenIssuer(services: self.services)
                .issue(sessionID: try SessionRoutes.sessionID(context), callerID: caller.id)
        }
    }
}
