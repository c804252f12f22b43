import FluentKit
import Foundation

/// One line of the staff audit log: who did what to which row, when, and why. Written in the same
/// transaction as the action, so an action without its line (or a line without its action) cannot exist.
public final class StaffAction: Model, @unchecked Sendable {
    public static let schema = "staff_actions"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Field(key: "staff_id") public var staffID: Int64
    /// `deactivate_user`, `reactivate_user`, `cancel_session`, `hide_session`, `show_session`,
    /// `hide_feedback`, `show_feedback`.
    @Field(key: "action") public var action: String
    @Field(key: "target_type") public var targetType: String
    @Field(key: "target_id") public var targetID: String
    @Field(key: "reason") public var reason: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    init(staffID: Int64, action: String, targetType: String, targetID: String, reason: String, at: Date) {
        self.staffID = staffID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        self.createdAt = at
    }
}
