import Foundation

/// A user as staff see them: the public profile plus the account's state and email.
struct StaffUserResponse: Codable, Sendable {
    var user: UserResponse
    var isActive: Bool
    var isStaff: Bool
    var isSuperuser: Bool

    init(_ user: User) {
        self.user = UserResponse(user, includePrivate: true)
        isActive = user.isActive
        isStaff = user.isStaff
        isSuperuser = user.isSuperuser
    }
}

struct StaffPaymentResponse: Codable, Sendable {
    var id: Int64
    var bookingId: Int64?
    var learnerId: Int64
    var sessionId: UUID
    var amount: Decimal
    var status: PaymentRecordStatus
    var chargeId: String?
    var failureReason: String?
    var createdAt: Date?

    init(_ payment: Payment) {
        id = payment.id ?? 0
        bookingId = payment.bookingID
        learnerId = payment.learnerID
        sessionId = payment.sessionID
        amount = Money.decimal(payment.amountCents)
        status = payment.status
        chargeId = payment.chargeID
        failureReason = payment.failureReason
        createdAt = payment.createdAt
    }
}

struct StaffRefundResponse: Codable, Sendable {
    var id: Int64
    var paymentId: Int64?
    var chargeId: String
    var amount: Decimal
    var status: RefundStatus
    var attempts: Int
    var lastError: String?
    var createdAt: Date?
    var doneAt: Date?

    init(_ refund: RefundOutboxEntry) {
        id = refund.id ?? 0
        paymentId = refund.paymentID
        chargeId = refund.chargeID
        amount = Money.decimal(refund.amountCents)
        status = refund.status
        attempts = refund.attempts
        lastError = refund.lastError
        createdAt = refund.createdAt
        doneAt = refund.doneAt
    }
}

struct StaffActionResponse: Codable, Sendable {
    var id: Int64
    var staffId: Int64
    var action: String
    var targetType: String
    var targetId: String
    var reason: String
    var createdAt: Date

    init(_ action: StaffAction) {
        id = action.id ?? 0
        staffId = action.staffID
        self.action = action.action
        targetType = action.targetType
        targetId = action.targetID
        reason = action.reason
        createdAt = action.createdAt
    }
}
