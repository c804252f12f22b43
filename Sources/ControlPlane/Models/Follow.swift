import FluentKit
import Foundation

/// FOLLOWS: a learner follows a mentor; unique per (follower, mentor). Unfollowing clears `is_active`
/// so the history stays.
public final class Follow: Model, @unchecked Sendable {
    public static let schema = "follows"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "follower_id") public var follower: User
    @Parent(key: "mentor_id") public var mentor: User
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Field(key: "is_active") public var isActive: Bool

    public init() {}
}
