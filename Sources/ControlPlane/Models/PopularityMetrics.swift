import FluentKit
import Foundation

/// POPULARITY_METRICS: exactly one row per session (unique `session_id`), kept current by the flows.
public final class PopularityMetrics: Model, @unchecked Sendable {
    public static let schema = "popularity_metrics"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "session_id") public var session: LearningSession
    @Field(key: "view_count") public var viewCount: Int
    @Field(key: "booking_count") public var bookingCount: Int
    @Field(key: "completion_rate") public var completionRate: Double
    /// Learners' ratings only (`learner_feedback`); 0 while unrated.
    @Field(key: "rating_average") public var ratingAverage: Double
    /// The mentor's own rating of the session (`mentor_feedback`), outside the popularity score.
    @OptionalField(key: "mentor_rating") public var mentorRating: Double?
    /// See `PopularityFormula`.
    @Field(key: "popularity_score") public var popularityScore: Double
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}

    public init(sessionID: UUID) {
        self.$session.id = sessionID
        self.viewCount = 0
        self.bookingCount = 0
        self.completionRate = 0
        self.ratingAverage = 0
        self.popularityScore = 0
    }
}
