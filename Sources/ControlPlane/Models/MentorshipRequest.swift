import FluentKit
import Foundation

/// REQUESTS: a learner asks a mentor for a session. (Not `Request`, which is Hummingbird's HTTP request.)
public final class MentorshipRequest: Model, @unchecked Sendable {
    public static let schema = "requests"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "learner_id") public var learner: User
    @Parent(key: "mentor_id") public var mentor: User
    @Field(key: "subject") public var subject: String
    @Field(key: "message") public var message: String
    @OptionalField(key: "preferred_schedule") public var preferredSchedule: Date?
    @OptionalField(key: "duration_requested") public var durationRequested: Int?
    @Field(key: "status") public var status: RequestStatus
    @OptionalField(key: "response_message") public var responseMessage: String?
    /// Set from the service clock (not Fluent's wall-clock timestamp) because expiry is measured from it.
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "responded_at") public var respondedAt: Date?
    /// The private session an acceptance arranged (`RequestService`).
    @OptionalParent(key: "session_id") public var session: LearningSession?

    public init() {}
}
