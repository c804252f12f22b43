import Foundation

/// The booking and payment rows the flow writes, built in one place for every database path, so the
/// rows a response is made from are the rows the statements wrote.
extension BookingService {
    /// Step 1's booking: pending while a paid seat waits for the processor, confirmed and paid when free.
    static func newBooking(learnerID: Int64, sessionID: UUID, priceCents: Int64, at now: Date, id: Int64? = nil) -> Booking {
        let paid = priceCents > 0
        let booking = Booking()
        booking.id = id
        booking.$learner.id = learnerID
        booking.$session.id = sessionID
        booking.status = paid ? .pending : .confirmed
        booking.paymentStatus = paid ? .pending : .paid
        booking.paymentID = nil
        booking.paymentAmountCents = priceCents
        booking.bookingTime = now
        booking.isReady = false
        return booking
    }

    /// Step 1's payment row, with the idempotency key the processor will know the charge by. A free seat's
    /// (zero) payment is settled at once.
    static func newPayment(
        learnerID: Int64, sessionID: UUID, amountCents: Int64, key: String, bookingID: Int64? = nil, id: Int64? = nil
    ) -> Payment {
        let payment = Payment()
        payment.id = id
        payment.bookingID = bookingID
        payment.learnerID = learnerID
        payment.sessionID = sessionID
        payment.amountCents = amountCents
        payment.idempotencyKey = key
        payment.status = amountCents > 0 ? .pending : .confirmed
        return payment
    }

    /// Step 3's booking, as the confirming statement left it.
    static func confirmedBooking(
        id: Int64, learnerID: Int64, sessionID: UUID, charge: PaymentCharge, bookingTime: Date, isReady: Bool
    ) -> Booking {
        let booking = newBooking(learnerID: learnerID, sessionID: sessionID, priceCents: charge.amountCents, at: bookingTime, id: id)
        booking.status = .confirmed
        booking.paymentStatus = .paid
        booking.paymentID = charge.id
        booking.isReady = isReady
        return booking
    }
}
