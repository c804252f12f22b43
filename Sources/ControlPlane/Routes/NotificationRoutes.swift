import FluentKit
import Foundation
import Hummingbird

/// The caller's notifications, and marking them read.
struct NotificationRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("notifications") { request, context in
            let caller = try context.requireCaller()
            var query = UserNotification.query(on: self.services.db).filter(\.$user.$id == caller.id)
            if let unread = request.uri.queryParameters["unread"] {
                guard let flag = Bool(String(unread)) else { throw APIError.badRequest("unread must be true or false") }
                if flag { query = query.filter(\.$isRead == false) }
            }
            let items = try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending).all()
            return try BookingRoutes.jsonResponse(items.map(NotificationResponse.init))
        }
        api.post("notifications/:id/read") { _, context in
            let caller = try context.requireCaller()
            let id = try context.parameters.require("id", as: Int64.self)
            guard let notification = try await UserNotification.find(id, on: self.services.db),
                  notification.$user.id == caller.id else { throw APIError.notFound("notification") }
            if !notification.isRead {
                notification.isRead = true
                notification.readAt = self.services.now()
                try await notification.save(on: self.services.db)
            }
            return NotificationResponse(notification)
        }
        api.post("notifications/read-all") { _, context in
            let caller = try context.requireCaller()
            try await UserNotification.query(on: self.services.db)
                .filter(\.$user.$id == caller.id).filter(\.$isRead == false)
                .set(\.$isRead, to: true).set(\.$readAt, to: self.services.now()).update()
            return Response(status: .noContent)
        }
    }
}
