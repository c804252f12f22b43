import FluentKit
import Foundation

/// A client's `Idempotency-Key` and the response first given for it, so a retried request is answered
/// with that same response instead of being carried out again. Unique per (user, key).
public final class IdempotencyRecord: Model, @unchecked Sendable {
    public static let schema = "idempotency_keys"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Field(key: "user_id") public var userID: Int64
    @Field(key: "key") public var key: String
    /// `METHOD path`: the same key on another endpoint is a client error (422).
    @Field(key: "request_fingerprint") public var requestFingerprint: String
    /// Nil while the first request is still being processed.
    @OptionalField(key: "response_status") public var responseStatus: Int?
    @OptionalField(key: "response_body") public var responseBody: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}
