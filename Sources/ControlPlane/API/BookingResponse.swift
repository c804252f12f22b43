import Foundation

struct BookingResponse: Codable, Sendable {
    var id: Int64
    var learnerId: Int64
    var sessionId: UUID
    var status: BookingStatus
    var paymentStatus: PaymentStatus
    var paymentId: String?
    var paymentAmount: Decimal
    var bookingTime: Date
    var joinedAt: Date?
    var leftAt: Date?
    var isReady: Bool
    var attendanceStatus: AttendanceStatus?

    init(_ booking: Booking) {
        id = booking.id ?? 0
        learnerId = booking.$learner.id
        sessionId = booking.$session.id
        status = booking.status
        paymentStatus = booking.paymentStatus
        paymentId = booking.paymentID
        paymentAmount = Money.decimal(booking.paymentAmountCents)
        bookingTime = booking.bookingTime
        joinedAt = booking.joinedAt
        leftAt = booking.leftAt
        isReady = booking.isReady
        attendanceStatus = booking.attendanceStatus
    }
}
