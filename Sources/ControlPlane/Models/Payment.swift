import FluentKit
import Foundation

/// Where a payment stands. `pending` is written (and committed) before the processor is called, so a
/// crash between the charge and the booking leaves a row that start-up reconciles with the processor.
public enum PaymentRecordStatus: String, Codable, Sendable, CaseIterable {
    /// Recorded; the charge may or may not have happened (ask the processor by idempotency key).
    case pending
    /// Charged, and the booking it paid for is confirmed.
    case confirmed
    /// Not charged (declined, or the processor never saw it); the seat it held was released.
    case failed
    /// Charged, then given back: a refund is queued in `refund_outbox` and not yet confirmed.
    case refunding
    /// The processor confirmed the refund.
    case refunded
}

/// One charge attempt for one booking: the durable half of the conversation with the payment processor.
public final class Payment: Model, @unchecked Sendable {
    public static let schema = "payments"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    /// The booking the payment is for; nil once a failed attempt's pending booking was removed.
    @OptionalField(key: "booking_id") public var bookingID: Int64?
    @Field(key: "learner_id") public var learnerID: Int64
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "amount_cents") public var amountCents: Int64
    /// The key the processor knows the charge by; unique, so the processor can be asked about it later.
    @Field(key: "idempotency_key") public var idempotencyKey: String
    @Field(key: "status") public var status: PaymentRecordStatus
    /// The processor's charge id, once it answered.
    @OptionalField(key: "charge_id") public var chargeID: String?
    @OptionalField(key: "failure_reason") public var failureReason: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}

public enum RefundStatus: String, Codable, Sendable, CaseIterable {
    /// Not yet confirmed by the processor; the dispatcher keeps trying.
    case pending
    /// The processor confirmed it.
    case done
}

/// The refund outbox: a refund is a row written in the same transaction as the cancellation that owes it,
/// then sent by `RefundDispatcher` until the processor confirms. It is marked `done` only after that.
public final class RefundOutboxEntry: Model, @unchecked Sendable {
    public static let schema = "refund_outbox"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    /// The payment being given back (nil for a booking paid before payments were recorded).
    @OptionalField(key: "payment_id") public var paymentID: Int64?
    @Field(key: "charge_id") public var chargeID: String
    @Field(key: "amount_cents") public var amountCents: Int64
    @Field(key: "status") public var status: RefundStatus
    @Field(key: "attempts") public var attempts: Int
    /// Not before this time: each failed attempt pushes it out (exponential backoff).
    @Field(key: "next_attempt_at") public var nextAttemptAt: Date
    @OptionalField(key: "last_error") public var lastError: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @OptionalField(key: "done_at") public var doneAt: Date?

    public init() {}
}
