import FluentKit
import FluentSQL

/// The relay's send-side bandwidth estimate per connection and its inputs (congestion control): nullable,
/// since a publish-only connection gives no transport-cc feedback, and rows written before have none.
struct AddBandwidthStatistics: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        for (name, type) in [
            ("estimated_bitrate", DatabaseSchema.DataType.int64), ("acknowledged_bitrate", .int64),
            ("feedback_loss_fraction", .double), ("round_trip_ms", .double),
        ] {
            try await database.schema(ParticipantStatistics.schema).field(FieldKey(stringLiteral: name), type).update()
        }
    }

    func revert(on database: any Database) async throws {
        for name in ["estimated_bitrate", "acknowledged_bitrate", "feedback_loss_fraction", "round_trip_ms"] {
            try await database.schema(ParticipantStatistics.schema).deleteField(FieldKey(stringLiteral: name)).update()
        }
    }
}
