import FluentKit
import Foundation

/// NOTIFICATIONS: an in-app message to one user. (Not `Notification`, which Foundation already names.)
public final class UserNotification: Model, @unchecked Sendable {
    public static let schema = "notifications"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "user_id") public var user: User
    @Field(key: "title") public var title: String
    @Field(key: "message") public var message: String
    @Field(key: "notification_type") public var notificationType: NotificationType
    @Field(key: "is_read") public var isRead: Bool
    @OptionalField(key: "action_url") public var actionURL: String?
    @Field(key: "priority") public var priority: NotificationPriority
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @OptionalField(key: "read_at") public var readAt: Date?

    public init() {}

    public init(userID: Int64, title: String, message: String, type: NotificationType = .info,
                priority: NotificationPriority = .medium, actionURL: String? = nil) {
        self.$user.id = userID
        self.title = title
        self.message = message
        self.notificationType = type
        self.priority = priority
        self.actionURL = actionURL
        self.isRead = false
    }
}
