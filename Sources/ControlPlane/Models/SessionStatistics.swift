import FluentKit
import Foundation

/// Totals for one session across all participants; one row per session, re-aggregated on every participant record.
public final class SessionStatistics: Model, @unchecked Sendable {
    public static let schema = "session_statistics"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "session_id") public var session: LearningSession
    @Field(key: "participant_count") public var participantCount: Int
    @Field(key: "audio_only_count") public var audioOnlyCount: Int
    @Field(key: "bytes_in") public var bytesIn: Int64
    @Field(key: "bytes_out") public var bytesOut: Int64
    @Field(key: "packets_in") public var packetsIn: Int64
    @Field(key: "packets_out") public var packetsOut: Int64
    @Field(key: "packets_lost") public var packetsLost: Int64
    @Field(key: "average_loss_fraction") public var averageLossFraction: Double
    @Field(key: "average_jitter_ms") public var averageJitterMs: Double
    @Field(key: "total_seconds_in_room") public var totalSecondsInRoom: Double
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}
}
