import FluentKit
import Foundation

/// One participant's media statistics for one session, written by the relay when the peer leaves
/// (the seed's "System saves session statistics").
public final class ParticipantStatistics: Model, @unchecked Sendable {
    public static let schema = "participant_statistics"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Parent(key: "session_id") public var session: LearningSession
    @Parent(key: "user_id") public var user: User
    @Field(key: "bytes_in") public var bytesIn: Int64
    @Field(key: "bytes_out") public var bytesOut: Int64
    @Field(key: "packets_in") public var packetsIn: Int64
    @Field(key: "packets_out") public var packetsOut: Int64
    @Field(key: "packets_lost") public var packetsLost: Int64
    /// Fraction of expected packets lost, 0...1 (RFC 3550 §6.4.1 fraction lost, averaged).
    @Field(key: "loss_fraction") public var lossFraction: Double
    /// Interarrival jitter in milliseconds (RFC 3550 §6.4.1).
    @Field(key: "jitter_ms") public var jitterMs: Double
    @Field(key: "seconds_in_room") public var secondsInRoom: Double
    /// The peer joined without camera permission (the seed's "Audio-only mode").
    @Field(key: "audio_only") public var audioOnly: Bool
    /// The relay's last send-side estimate toward this connection (bits/s) and its inputs: what the peer
    /// acknowledged receiving, the loss its transport-cc feedback reported, the round trip. Null without
    /// that feedback (a publish-only connection).
    @OptionalField(key: "estimated_bitrate") public var estimatedBitrate: Int64?
    @OptionalField(key: "acknowledged_bitrate") public var acknowledgedBitrate: Int64?
    @OptionalField(key: "feedback_loss_fraction") public var feedbackLossFraction: Double?
    @OptionalField(key: "round_trip_ms") public var roundTripMs: Double?
    @OptionalField(key: "joined_at") public var joinedAt: Date?
    @OptionalField(key: "left_at") public var leftAt: Date?
    /// The relay node that reported it; nil for `serve`'s own relay.
    @OptionalField(key: "node_id") public var nodeID: String?
    /// The node's key for the connection (unique): a replayed join finds its row.
    @OptionalField(key: "connection_key") public var connectionKey: String?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}
}
