import FluentKit
import Foundation

/// BOOKINGS: a learner's seat in a session, with its payment.
public final class Booking: Model, @unchecked Sendable {
    public static let schema = "bookings"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "learner_id") public var learner: User
    @Parent(key: "session_id") public var session: LearningSession
    @Field(key: "status") public var status: BookingStatus
    @Field(key: "payment_status") public var paymentStatus: PaymentStatus
    /// The processor's charge id; unique so one charge can never back two bookings.
    @OptionalField(key: "payment_id") public var paymentID: String?
    @Field(key: "payment_amount_cents") public var paymentAmountCents: Int64
    @Field(key: "booking_time") public var bookingTime: Date
    @OptionalField(key: "joined_at") public var joinedAt: Date?
    @OptionalField(key: "left_at") public var leftAt: Date?
    @Field(key: "is_ready") public var isReady: Bool
    @OptionalField(key: "attendance_status") public var attendanceStatus: AttendanceStatus?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}
