import FluentKit
import Foundation

/// A user's in-app notifications (written by `Notices`): listing them and marking them read, at the
/// injected clock's time.
struct NotificationService: Sendable {
    let services: ControlPlaneServices

    /// Newest first; only the unread ones when `unreadOnly`.
    func list(userID: Int64, unreadOnly: Bool) async throws -> [UserNotification] {
        var query = UserNotification.query(on: services.db).filter(\.$user.$id == userID)
        if unreadOnly { query = query.filter(\.$isRead == false) }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending).all()
    }

    /// Marks one of `userID`'s notifications read (once: a second call keeps the first `read_at`).
    func markRead(_ id: Int64, userID: Int64) async throws -> UserNotification {
        guard let notification = try await UserNotification.find(id, on: services.db),
              notification.$user.id == userID else { throw APIError.notFound("notification") }
        if !notification.isRead {
            notification.isRead = true
            notification.readAt = services.now()
            try await notification.save(on: services.db)
        }
        return notification
    }

    func markAllRead(userID: Int64) async throws {
        try await UserNotification.query(on: services.db)
            .filter(\.$user.$id == userID).filter(\.$isRead == false)
            .set(\.$isRead, to: true).set(\.$readAt, to: services.now()).update()
    }
}
