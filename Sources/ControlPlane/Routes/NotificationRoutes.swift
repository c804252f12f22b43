import Foundation
import Hummingbird

/// The caller's notifications, and marking them read (`NotificationService`).
struct NotificationRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let notifications = NotificationService(services: services)
        api.get("notifications") { request, context in
            let caller = try context.requireCaller()
            var unreadOnly = false
            if let unread = request.uri.queryParameters["unread"] {
                guard let flag = Bool(String(unread)) else { throw APIError.badRequest("unread must be true or false") }
                unreadOnly = flag
            }
            let items = try await notifications.list(userID: caller.id, unreadOnly: unreadOnly)
            return try BookingRoutes.jsonResponse(items.map(NotificationResponse.init))
        }
        api.post("notifications/:id/read") { _, context in
            let caller = try context.requireCaller()
            let id = try context.parameters.require("id", as: Int64.self)
            return NotificationResponse(try await notifications.markRead(id, userID: caller.id))
        }
        api.post("notifications/read-all") { _, context in
            let caller = try context.requireCaller()
            try await notifications.markAllRead(userID: caller.id)
            return Response(status: .noContent)
        }
    }
}
