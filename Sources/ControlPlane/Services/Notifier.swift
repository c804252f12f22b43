import FluentKit

/// Writes one in-app notification (the NOTIFICATIONS table). Flows call `Notices`, which pairs it with the
/// email when there is one.
enum Notifier {
    static func notify(
        _ userID: Int64, title: String, message: String, type: NotificationType = .info,
        priority: NotificationPriority = .medium, actionURL: String? = nil, on db: any Database
    ) async throws {
        try await UserNotification(
            userID: userID, title: title, message: message, type: type, priority: priority, actionURL: actionURL
        ).create(on: db)
    }
}
