import FluentKit
import Foundation

/// The email outbox: every message the platform sends is recorded here first, in the same transaction as the
/// change that caused it, so none is lost; delivery happens later (or never, when SMTP is not configured).
public final class OutboxEmail: Model, @unchecked Sendable {
    public static let schema = "email_outbox"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Field(key: "to_address") public var toAddress: String
    @Field(key: "subject") public var subject: String
    @Field(key: "body") public var body: String
    /// What kind of message: `welcome`, `booking_confirmation`, `booking_cancelled`, `session_cancelled`, `feedback_request`.
    @Field(key: "kind") public var kind: String
    @Field(key: "status") public var status: EmailStatus
    @Field(key: "attempts") public var attempts: Int
    @OptionalField(key: "last_error") public var lastError: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @OptionalField(key: "sent_at") public var sentAt: Date?

    public init() {}

    public init(to: String, subject: String, body: String, kind: String) {
        self.toAddress = to
        self.subject = subject
        self.body = body
        self.kind = kind
        self.status = .pending
        self.attempts = 0
    }
}
