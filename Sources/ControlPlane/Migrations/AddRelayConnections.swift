import FluentKit
import FluentSQL

/// Which relay node a connection's statistics row came from (NULL: `serve`'s own relay), and the node's key
/// for the connection, unique, so a node replaying its spool after a restart rewrites rows instead of adding
/// them. Crash recovery closes only the rows of the relay that restarted.
struct AddRelayConnections: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ParticipantStatistics.schema).field("node_id", .string).update()
        try await database.schema(ParticipantStatistics.schema).field("connection_key", .string).update()
        try await database.sql.raw("""
            CREATE UNIQUE INDEX participant_statistics_connection_key ON participant_statistics (connection_key)
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX participant_statistics_connection_key").run()
        try await database.schema(ParticipantStatistics.schema).deleteField("connection_key").update()
        try await database.schema(ParticipantStatistics.schema).deleteField("node_id").update()
    }
}
