import Foundation

/// The documented popularity score that orders `GET /api/sessions?sort=popularity`:
///
///     popularity_score = ln(1 + view_count) + 2 · booking_count + 10 · completion_rate + 2 · rating_average
///
/// Views count logarithmically (looking is cheap and easy to inflate), a booking is a paid commitment and
/// counts linearly, and quality — the share of booked learners who attended (0…1) and the average rating
/// (0…5, 0 while unrated) — can add up to 20 points, so a well-run session outranks a merely busy one.
public enum PopularityFormula {
    public static func score(viewCount: Int, bookingCount: Int, completionRate: Double, ratingAverage: Double) -> Double {
        log1p(Double(max(0, viewCount))) + 2 * Double(max(0, bookingCount)) + 10 * completionRate + 2 * ratingAverage
    }
}
