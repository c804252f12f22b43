import FluentKit
import Foundation

/// FEEDBACK: one rating per user per completed session.
public final class Feedback: Model, @unchecked Sendable {
    public static let schema = "feedback"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "session_id") public var session: LearningSession
    @Parent(key: "user_id") public var user: User
    @Field(key: "rating") public var rating: Int
    @OptionalField(key: "comment") public var comment: String?
    @Field(key: "feedback_type") public var feedbackType: FeedbackType
    @Field(key: "is_anonymous") public var isAnonymous: Bool
    /// Hidden by staff from the session's public feedback list (nil reads as false).
    @OptionalField(key: "is_hidden") public var isHidden: Bool?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}
