import FluentKit
import Foundation

/// Reading bookings: a learner's own, and a session's for its mentor. (Kept apart from `BookingService`'s
/// booking and cancelling, whose statement counts are measured.)
extension BookingService {
    /// The learner's bookings, newest first.
    func bookings(ofLearner learnerID: Int64) async throws -> [Booking] {
        try await Booking.query(on: services.db).filter(\.$learner.$id == learnerID)
            .sort(\.$bookingTime, .descending).all()
    }

    /// A session's bookings in booking order, for its mentor alone.
    func bookings(ofSession sessionID: UUID, mentorID: Int64) async throws -> [Booking] {
        guard let session = try await LearningSession.find(sessionID, on: services.db) else { throw APIError.notFound("session") }
        guard session.$mentor.id == mentorID else { throw APIError.forbidden("only the session's mentor sees its bookings") }
        return try await Booking.query(on: services.db).filter(\.$session.$id == sessionID)
            .sort(\.$bookingTime).all()
    }
}
