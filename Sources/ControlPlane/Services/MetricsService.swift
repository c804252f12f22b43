import FluentKit
import FluentSQL
import Foundation

/// Keeps POPULARITY_METRICS current. Counters move by single-statement increments (no lost updates);
/// the derived score is then recomputed from the row, or, for a booking, moved in the same statement.
enum MetricsService {
    static func incrementViews(sessionID: UUID, on db: any Database) async throws {
        try await db.sql.raw(
            "UPDATE popularity_metrics SET view_count = view_count + 1 WHERE session_id = \(bind: sessionID)"
        ).run()
        try await refreshScore(sessionID: sessionID, on: db)
    }

    /// Counts bookings ever confirmed (a later cancellation does not erase the demand it showed).
    /// One statement, no read-back: `booking_count` enters the score linearly (`PopularityFormula`), so the
    /// score moves by the same constant; the booking path runs this once per booking.
    static func incrementBookings(sessionID: UUID, now: Date, on db: any Database) async throws {
        try await db.sql.raw("""
            UPDATE popularity_metrics SET booking_count = booking_count + 1, \
            popularity_score = popularity_score + \(bind: scorePerBooking), updated_at = \(bind: now) \
            WHERE session_id = \(bind: sessionID)
            """).run()
    }

    /// What one more booking adds to the score.
    static let scorePerBooking =
        PopularityFormula.score(viewCount: 0, bookingCount: 1, completionRate: 0, ratingAverage: 0)
        - PopularityFormula.score(viewCount: 0, bookingCount: 0, completionRate: 0, ratingAverage: 0)

    static func setCompletionRate(_ rate: Double, sessionID: UUID, on db: any Database) async throws {
        try await PopularityMetrics.query(on: db).filter(\.$session.$id == sessionID)
            .set(\.$completionRate, to: min(1, max(0, rate))).update()
        try await refreshScore(sessionID: sessionID, on: db)
    }

    /// `rating_average` from learners' feedback only; the mentor's own rating goes to `mentor_rating`.
    static func refreshRating(sessionID: UUID, on db: any Database) async throws {
        let feedback = try await Feedback.query(on: db).filter(\.$session.$id == sessionID)
            .field(\.$rating).field(\.$feedbackType).all()
        let learners = feedback.filter { $0.feedbackType == .learnerFeedback }.map(\.rating)
        let average = learners.isEmpty ? 0 : Double(learners.reduce(0, +)) / Double(learners.count)
        let mentor = feedback.first { $0.feedbackType == .mentorFeedback }.map { Double($0.rating) }
        try await PopularityMetrics.query(on: db).filter(\.$session.$id == sessionID)
            .set(\.$ratingAverage, to: average).set(\.$mentorRating, to: mentor).update()
        try await refreshScore(sessionID: sessionID, on: db)
    }

    static func refreshScore(sessionID: UUID, on db: any Database) async throws {
        guard let metrics = try await PopularityMetrics.query(on: db).filter(\.$session.$id == sessionID).first() else { return }
        metrics.popularityScore = PopularityFormula.score(
            viewCount: metrics.viewCount, bookingCount: metrics.bookingCount,
            completionRate: metrics.completionRate, ratingAverage: metrics.ratingAverage)
        try await metrics.save(on: db)
    }
}
